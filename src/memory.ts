/**
 * How the memory budget (LAKEFORM_MEMORY_MB) is spent. The V8 heap is capped by flags at start
 * (src/cli.ts starts `serve` again with them: V8 ignores them once running); SQLite's page cache
 * and every in-memory cache of the services are sized from the same number. Without a budget the
 * heap is V8's default and the caches have the sizes they were tuned for: those of 1,024 MB.
 */

export const MEMORY_VARIABLE = 'LAKEFORM_MEMORY_MB';
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 1_048_576;
const TUNED_FOR_MB = 1024;

export interface MemoryPlan {
  budgetMb: number | undefined;
  /** --max-old-space-size: half the budget; the rest is the young generation, code, buffers and native memory. */
  oldSpaceMb: number | undefined;
  /** --max-semi-space-size (the young generation is about three of them). */
  semiSpaceMb: number | undefined;
  /** SQLite's page cache of the main connection. */
  sqliteCacheMb: number;
  /** Cache sizes are their 1,024 MB sizes times this. */
  cacheShare: number;
}

/** LAKEFORM_MEMORY_MB as a number; undefined when unset; throws naming the variable when malformed. */
export function memoryBudgetMb(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[MEMORY_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < MIN_MEMORY_MB || n > MAX_MEMORY_MB)
    throw new Error(
      `${MEMORY_VARIABLE} must be an integer between ${MIN_MEMORY_MB} and ${MAX_MEMORY_MB}, got '${raw}'`,
    );
  return n;
}

export function memoryPlan(budgetMb: number | undefined): MemoryPlan {
  if (budgetMb === undefined)
    return { budgetMb, oldSpaceMb: undefined, semiSpaceMb: undefined, sqliteCacheMb: 64, cacheShare: 1 };
  return {
    budgetMb,
    oldSpaceMb: Math.floor(budgetMb / 2),
    semiSpaceMb: Math.min(16, Math.max(1, Math.floor(budgetMb / 64))),
    sqliteCacheMb: Math.min(64, Math.max(2, Math.floor(budgetMb / 16))),
    // Larger budgets grow the caches too, up to 4× (beyond, the heap is left to the working set).
    cacheShare: Math.min(4, budgetMb / TUNED_FOR_MB),
  };
}

/** The V8 flags a process serving within `plan` starts with. */
export function heapFlags(plan: MemoryPlan): string[] {
  if (plan.oldSpaceMb === undefined || plan.semiSpaceMb === undefined) return [];
  return [`--max-old-space-size=${plan.oldSpaceMb}`, `--max-semi-space-size=${plan.semiSpaceMb}`];
}

let share = 1;

/** Sizes the caches created from now on (the server calls it before creating its services). */
export function sizeCachesFor(plan: MemoryPlan): void {
  share = plan.cacheShare;
}

/** A cache's bound (entries, or bytes) for the budget, given its bound at 1,024 MB. */
export function cacheBound(at1024Mb: number): number {
  return Math.max(16, Math.floor(at1024Mb * share));
}
