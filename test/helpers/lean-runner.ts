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

if (process.env.LAKEFORM_TEST_TRACK_PROMISES !== '1') {
  const proto = Object.getPrototypeOf(createHook({})) as { enable(this: Record<symbol, unknown>): unknown };
  const enable = proto.enable;
  let done = false;
  proto.enable = function (this: Record<symbol, unknown>) {
    // Only the runner's own hook, and only once: every other hook (AsyncLocalStorage's, the app's) is left alone.
    if (!done && /test_runner[\\/]harness/.test(new Error().stack ?? '')) {
      done = true;
      const symbols = Object.getOwnPropertySymbols(this);
      const initKey = symbols.find((s) => s.description === 'init');
      const destroyKey = symbols.find((s) => s.description === 'destroy');
      const init = initKey && (this[initKey] as Callback | undefined);
      if (initKey && destroyKey && typeof init === 'function') {
        // Without a destroy callback V8 no longer tracks each promise's end; the entries of other resources then
        // stay in the runner's map: tens of thousands in a large file, a few MB.
        this[destroyKey] = undefined;
        this[initKey] = ((asyncId, type, triggerAsyncId, resource) => {
          if (type !== 'PROMISE') init(asyncId, type, triggerAsyncId, resource);
        }) satisfies Callback;
      }
    }
    return enable.call(this);
  };
}
