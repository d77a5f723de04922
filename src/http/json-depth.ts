/**
 * How deep a request body may nest objects and arrays (README, "Limits"). Deeper bodies are refused
 * with 400 before they are parsed: nothing downstream (fingerprints, stored reports, SQLite's JSON
 * functions, which stop at 1,000) has to cope with them.
 */
export const MAX_BODY_DEPTH = 128;

/** Whether JSON text nests deeper than `max`; one pass over the text, strings skipped. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}
