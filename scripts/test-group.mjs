// Several test files in one process, one after the other (scripts/test.mjs makes the groups): the imports, the
// compiled request validators and the JIT's warm-up are paid once per group instead of once per file. Each file runs
// in a suite named by its path, so its tests, its top-level hooks and a failure of either stay its own.
import { AsyncResource } from 'node:async_hooks';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { pathToFileURL } from 'node:url';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..');
const helpers = path.join(root, 'dist/test/helpers');
const { holdPromiseTracking } = await import(pathToFileURL(path.join(helpers, 'lean-runner.js')).href);
const { droppedDatabases } = await import(pathToFileURL(path.join(helpers, 'server.js')).href);

// What the helpers read as the running test file (test/helpers/server.ts testFile()), and what a stray error names.
const RUNNING = Symbol.for('lakeform.test.file');
const running = (file) => {
  globalThis[RUNNING] = file;
};

// A file that hangs fails by its name after this long, and the group goes on with the next one.
const FILE_TIMEOUT_MS = Number(process.env.LAKEFORM_TEST_FILE_TIMEOUT_S || 600) * 1000;
// After the last file, a process kept alive by a file's leftover handles ends (failing) after this long.
const EXIT_GRACE_MS = 30_000;

/** Runs the files (absolute paths) of one group. */
export function runGroup(files) {
  // The tests of a file find its suite through the async context of the import's promises: the runner tracks
  // promises until every file is imported, then drops that tracking as in a process of one file.
  const release = holdPromiseTracking();
  // A stray error the runner cannot tie to a test only fails the process; this names the file that was running.
  for (const event of ['uncaughtException', 'unhandledRejection']) {
    process.on(event, (err) => {
      process.stderr.write(`# lakeform-group: ${event} while ${globalThis[RUNNING]} ran: ${err?.stack ?? err}\n`);
    });
  }
  let previous = Promise.resolve();
  const imported = [];
  let resolveAll;
  const all = new Promise((resolve) => {
    resolveAll = resolve;
  });
  files.forEach((file, i) => {
    describe(file, { timeout: FILE_TIMEOUT_MS }, async () => {
      before(() => running(file));
      if (i === files.length - 1)
        after(async () => {
          // The test databases of stopped servers, dropped while later files ran (test/helpers/server.ts).
          await droppedDatabases();
          // Unref'd: it only fires when something else keeps the process alive.
          setTimeout(() => {
            const left = process.getActiveResourcesInfo().join(', ');
            process.stderr.write(`# lakeform-group: still alive ${EXIT_GRACE_MS} ms after its last file: ${left}\n`);
            process.exit(1);
          }, EXIT_GRACE_MS).unref();
        });
      // Bound now, in this suite's async context: after the await below, the context is that of the awaited
      // promise, made in the previous file's suite.
      const load = AsyncResource.bind(() => import(pathToFileURL(file).href));
      // One at a time, so a helper reading the running file at import (backends()) reads this one.
      const wait = previous;
      let done;
      previous = new Promise((resolve) => {
        done = resolve;
      });
      imported.push(previous);
      if (imported.length === files.length) void Promise.all(imported).then(() => resolveAll());
      try {
        await wait;
        running(file);
        await load();
      } finally {
        done();
        // No test starts before every file is imported: the running file is then set by each suite's hook.
        await all;
        release();
      }
    });
  });
}
