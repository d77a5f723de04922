/**
 * What a commit and a load cost on this machine in Node with nothing of ours in the way: a bare node:http server that
 * does only what every commit must (read and parse the request, create, write and fsync a new file, read the table's
 * version and swap its pointer by one UPDATE, in SQLite in WAL mode or in PostgreSQL, answer the file's bytes) and
 * answers a load from bytes it holds. The Iceberg bench times it with the same client, taking turns with the real
 * server, so the gap between the two is what our stack costs.
 * Usage: node floor-server.js <folder> [postgres url]; prints its port. `?bytes=N` sets a commit's file and answer
 * size, `?table=N` (0-99) its table.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

const dir = process.argv[2] as string;
/** A PostgreSQL database to write the pointer in (the bench's, with --postgres); SQLite in the folder otherwise. */
const postgres = process.argv[3];
fs.mkdirSync(path.join(dir, 'metadata'), { recursive: true });

/** The pointer's move: one compare-and-swap UPDATE of the table's row, its version read first as a commit does. */
type Swap = (table: number, location: string) => Promise<void>;
async function sqliteSwap(): Promise<Swap> {
  const db = new SqliteDatabase(path.join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE tables (id INTEGER PRIMARY KEY, location TEXT NOT NULL, version INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO tables (id, location, version) VALUES (?, ?, 0)');
  for (let i = 0; i < 100; i++) insert.run(i, '');
  const update = db.prepare('UPDATE tables SET location = ?, version = version + 1 WHERE id = ? AND version = ?');
  const read = db.prepare<[number], { version: number }>('SELECT version FROM tables WHERE id = ?');
  return async (table, location) => {
    const { version } = read.get(table) as { version: number };
    if (update.run(location, table, version).changes !== 1) throw new Error('lost the compare-and-swap');
  };
}
async function postgresSwap(url: string): Promise<Swap> {
  const pool = new pg.Pool({ connectionString: url, max: 16 });
  await pool.query('DROP TABLE IF EXISTS floor_tables');
  await pool.query('CREATE TABLE floor_tables (id int PRIMARY KEY, location text NOT NULL, version int NOT NULL)');
  await pool.query("INSERT INTO floor_tables SELECT g, '', 0 FROM generate_series(0, 99) g");
  return async (table, location) => {
    const { rows } = await pool.query({
      name: 'floor_read',
      text: 'SELECT version FROM floor_tables WHERE id = $1',
      values: [table],
    });
    const r = await pool.query({
      name: 'floor_swap',
      text: 'UPDATE floor_tables SET location = $1, version = version + 1 WHERE id = $2 AND version = $3',
      values: [location, table, rows[0].version],
    });
    if (r.rowCount !== 1) throw new Error('lost the compare-and-swap');
  };
}
const swap = await (postgres ? postgresSwap(postgres) : sqliteSwap());

/** A JSON text of `bytes` bytes, as a metadata file or an answer of that size would be. */
const bodies = new Map<number, Buffer>();
const bodyOf = (bytes: number): Buffer => {
  let b = bodies.get(bytes);
  if (!b) {
    b = Buffer.from(`{"metadata":"${'x'.repeat(Math.max(0, bytes - 15))}"}`);
    bodies.set(bytes, b);
  }
  return b;
};
const loadBody = bodyOf(2048);
let files = 0;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const answer = (body: Buffer) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    };
    if (req.method !== 'POST') return answer(loadBody);
    const url = new URL(req.url ?? '/', 'http://floor');
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (typeof request !== 'object') throw new Error('not a commit');
    const body = bodyOf(Number(url.searchParams.get('bytes') ?? 2048));
    const table = Number(url.searchParams.get('table') ?? 0);
    const file = path.join(dir, 'metadata', `${String(++files).padStart(5, '0')}.metadata.json`);
    fs.open(file, 'wx', (err, fd) => {
      if (err) throw err;
      fs.writeSync(fd, body);
      fs.fsync(fd, (err2) => {
        if (err2) throw err2;
        fs.closeSync(fd);
        swap(table, file).then(
          () => answer(body),
          (e: unknown) => {
            throw e;
          },
        );
      });
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
