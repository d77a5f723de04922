import fs from 'node:fs';
import { Worker } from 'node:worker_threads';

/** A WAL past SQLite's default checkpoint size (4 MB) means bulk writes: from then on a thread checkpoints it. */
const START_AT_WAL_BYTES = 4 * 1024 * 1024;

/**
 * SQLite checkpoints the WAL on the connection whose commit crosses wal_autocheckpoint: copying
 * tens of MB and an fsync, 80-120 ms during which better-sqlite3 blocks the event loop (the p99 of
 * a short write beside bulk partition batches). Once the WAL grows large, a worker thread
 * checkpoints it every `everyMs` instead; the WAL then restarts before the writer's threshold.
 * A store that never writes much never starts the thread (about 50 ms of CPU). Returns the stop, which resolves
 * once the thread has ended: a process exiting while the thread is inside a checkpoint aborted (V8 fatal error in
 * better-sqlite3's error path), a crash that failed test files after all their tests passed.
 */
export function checkpointInBackground(file: string, everyMs = 250): () => Promise<void> {
  let worker: Worker | undefined;
  let exited: Promise<void> | undefined;
  let stopped = false;
  const watch = setInterval(() => {
    fs.stat(`${file}-wal`, (err, st) => {
      if (err || stopped || worker || st.size < START_AT_WAL_BYTES) return;
      clearInterval(watch);
      worker = new Worker(new URL('./checkpoint-worker.js', import.meta.url), { workerData: { file, everyMs } });
      const w = worker;
      exited = new Promise((resolve) => w.once('exit', () => resolve()));
      worker.unref();
      // A failing checkpointer only loses the help: the writer's autocheckpoint still bounds the WAL.
      worker.on('error', () => {});
    });
  }, 250);
  watch.unref();
  return async () => {
    stopped = true;
    clearInterval(watch);
    // Referenced again: an unreferenced thread's exit would not keep the process waiting for it.
    worker?.ref();
    worker?.postMessage('close');
    await exited;
  };
}
