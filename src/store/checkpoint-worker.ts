/**
 * The background checkpointer's thread (see checkpointer.ts): its own connection copies the WAL
 * into the database file every few hundred milliseconds. A PASSIVE checkpoint never waits for
 * readers or the writer, and its copying and fsync block this thread, not the server's.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';

const { file, everyMs } = workerData as { file: string; everyMs: number };
const db = new SqliteDatabase(file);
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or gone: the next tick tries again (and the writer's own autocheckpoint stays as a backstop).
  }
}, everyMs);
parentPort?.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
