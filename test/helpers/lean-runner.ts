/**
 * Node's test runner tracks every asynchronous resource of a test file through an async hook with a destroy callback,
 * to name the test behind a stray error. For promises that means a destroy hook on every one of them: about a sixth of
 * an HTTP suite's CPU. This drops the tracking of promises only. Timers, sockets and I/O callbacks are still tracked
 * (an error thrown there still fails its test), and a stray promise rejection still fails the file: the runner then
 * reports it at the top of the file instead of on its test. LAKEFORM_TEST_TRACK_PROMISES=1 keeps the full tracking,
 * to find the test behind such a report.
 *
 * Imported (for its effect) before any test of the file is declared: the runner makes its hook at the first one.
 */
import { createHook } from 'node:async_hooks';

type Callback = (asyncId: number, type: string, triggerAsyncId: number, resource: object) => void;
interface Hook {
  enable(): unknown;
  disable(): unknown;
}

const full = process.env.LAKEFORM_TEST_TRACK_PROMISES === '1';
let runnerHook: (Hook & Record<symbol, unknown>) | undefined;
let held = false;
let lean = false;

/** Drops the runner hook's promise tracking; the hook must be disabled, as enable() counts its callbacks. */
function makeLean(hook: Record<symbol, unknown>): void {
  lean = true;
  const symbols = Object.getOwnPropertySymbols(hook);
  const initKey = symbols.find((s) => s.description === 'init');
  const destroyKey = symbols.find((s) => s.description === 'destroy');
  const init = initKey && (hook[initKey] as Callback | undefined);
  if (initKey && destroyKey && typeof init === 'function') {
    // Without a destroy callback V8 no longer tracks each promise's end; the entries of other resources then
    // stay in the runner's map: tens of thousands in a large file, a few MB.
    hook[destroyKey] = undefined;
    hook[initKey] = ((asyncId, type, triggerAsyncId, resource) => {
      if (type !== 'PROMISE') init(asyncId, type, triggerAsyncId, resource);
    }) satisfies Callback;
  }
}

const proto = Object.getPrototypeOf(createHook({})) as Hook;
const enable = proto.enable;
if (!full) {
  proto.enable = function (this: Hook & Record<symbol, unknown>) {
    // Only the runner's own hook, and only once: every other hook (AsyncLocalStorage's, the app's) is left alone.
    if (!runnerHook && /test_runner[\\/]harness/.test(new Error().stack ?? '')) {
      runnerHook = this;
      if (!held) makeLean(this);
    }
    return enable.call(this);
  };
}

/**
 * For a process that loads several test files (scripts/test-group.mjs), imported before any test is declared: keeps
 * the full tracking until the returned function is called. Each file is imported inside a suite of its own, and its
 * tests find that suite through the async context of the import's promises.
 */
export function holdPromiseTracking(): () => void {
  held = true;
  return () => {
    if (full || lean || !runnerHook) return;
    runnerHook.disable();
    makeLean(runnerHook);
    enable.call(runnerHook);
  };
}
