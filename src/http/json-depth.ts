/**
 * How deep a request body may nest objects and arrays (README, "Limits"). Deeper bodies are refused
 * with 400 before they are parsed: nothing downstream (fingerprints, stored reports, SQLite's JSON
 * functions, which stop at 1,000) has to cope with them.
 */
export const MAX_BODY_DEPTH = 128;

/** Whether JSON text nests deeper than `max`; one pass over the text, strings skipped. */
export function nestsDeeperThan(text: string, max: number): boolean {
  return scanJson(text, max) === TOO_DEEP;
}

/** scanJson's answers. */
export const TOO_DEEP = 0;
/** The text may parse to a value input-check.ts refuses. */
export const MAYBE_UNSTORABLE = 1;
/** The text cannot parse to a value input-check.ts refuses: the parsed body need not be walked for one. */
export const STORABLE = 2;

/**
 * One pass over JSON text: whether it nests deeper than `max`, else whether it could parse to a value input-check.ts
 * refuses: an escaped NUL or surrogate (raw, they are not valid JSON), or a number of a double's range or beyond it (an
 * exponent, or 309 digits before the point). The pass the depth check makes anyway, so the second costs next to
 * nothing (regular expressions over the text cost more than walking the parsed value).
 */
export function scanJson(text: string, max: number): typeof TOO_DEEP | typeof MAYBE_UNSTORABLE | typeof STORABLE {
  let depth = 0;
  let inString = false;
  let maybe = false;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) {
        // A backslash escapes the next character; \u0000 and \uD800–\uDFFF are what could be refused.
        if (text.charCodeAt(i + 1) === 117) {
          const a = text.charCodeAt(i + 2) | 32; // lower case
          const b = text.charCodeAt(i + 3) | 32;
          const surrogate = a === 100 && (b === 56 || b === 57 || (b >= 97 && b <= 102)); // d8–df
          if (surrogate || (a === 48 && b === 48 && text.startsWith('00', i + 4))) maybe = true;
        }
        i++;
      } else if (c === 34) inString = false;
      continue;
    }
    if (c >= 48 && c <= 57) {
      if (++digits >= 309) maybe = true;
      continue;
    }
    if ((c === 101 || c === 69) && digits > 0) maybe = true;
    digits = 0;
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return TOO_DEEP;
    } else if (c === 125 || c === 93) depth--;
  }
  return maybe ? MAYBE_UNSTORABLE : STORABLE;
}
