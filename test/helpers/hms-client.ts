// A Hive Metastore Thrift client independent of the server's code: the Python client Debian's
// thrift-compiler generates from our IDL, on python3-thrift, driven through test/fixtures/hms_bridge.py.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './server.js';

/** A python3 that imports thrift, and thrift-compiler; or why the metastore tests cannot run. */
export function thriftTooling(): { python: string; thrift: string } | { missing: string } {
  let thrift: string | undefined;
  try {
    execFileSync('thrift', ['--version'], { stdio: 'pipe' });
    thrift = 'thrift';
  } catch {
    /* absent */
  }
  // Debian's own python3 first (python3-thrift's): a python3 found on PATH may be a version manager's shim, which
  // costs half a second of CPU to start.
  const python = ['/usr/bin/python3', 'python3'].find((p) => {
    try {
      execFileSync(p, ['-c', 'import thrift'], { stdio: 'pipe' });
      return true;
    } catch {
      return false;
    }
  });
  if (!thrift || !python)
    return { missing: [!thrift && 'thrift-compiler', !python && 'python3-thrift'].filter(Boolean).join(' and ') };
  return { python, thrift };
}

/** Generates the Python client from src/metastore/idl into a fresh folder. */
export function generatePythonClient(): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lakeform-hmspy-'));
  execFileSync(
    'thrift',
    ['-r', '--gen', 'py', '-out', out, path.join(ROOT, 'src/metastore/idl/hive_metastore.thrift')],
    { stdio: 'pipe' },
  );
  return out;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export type Answer = {
  ok?: any;
  error?: { type: string; message: string };
  app_error?: { type: number; message: string };
  transport_error?: string;
};

/** A bridge process, shared by the clients of one generated client folder: it holds a connection for each. */
class Bridge {
  private readonly child: ChildProcess;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  /** Clients not closed yet; the process ends (its stdin closed) with the last. */
  users = 0;
  nextConn = 1;

  constructor(python: string, genDir: string) {
    this.child = spawn(python, [path.join(ROOT, 'test/fixtures/hms_bridge.py'), genDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.waiting.shift()?.(line));
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    // A bridge that dies answers what it still owed with the reason, rather than leaving the test waiting.
    this.child.on('exit', (code) => {
      const line = JSON.stringify({ transport_error: `bridge exited (${code}): ${this.stderr}` });
      for (const w of this.waiting.splice(0)) w(line);
    });
  }

  /** Answers come in the order of the requests: the bridge handles one at a time. */
  send(req: Record<string, unknown>): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bridge did not answer ${JSON.stringify(req).slice(0, 200)}: ${this.stderr}`)),
        120_000,
      );
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Answer);
      });
      this.child.stdin!.write(`${JSON.stringify(req)}\n`);
    });
  }

  end(): void {
    this.child.stdin!.end();
  }
}

const bridges = new Map<string, Bridge>();

/** A metastore client: one connection at a time, in the bridge process of its folder of generated code. */
export class HmsClient {
  private readonly bridge: Bridge;
  private readonly key: string;
  private readonly conn: number;
  private closed = false;

  constructor(python: string, genDir: string) {
    this.key = `${python}\0${genDir}`;
    let bridge = bridges.get(this.key);
    if (!bridge) {
      bridge = new Bridge(python, genDir);
      bridges.set(this.key, bridge);
    }
    this.bridge = bridge;
    this.conn = bridge.nextConn++;
    bridge.users++;
  }

  /** A request on this client's connection. */
  send(req: Record<string, unknown>): Promise<Answer> {
    return this.bridge.send({ ...req, conn: this.conn });
  }

  async open(port: number, o: { framed?: boolean; sasl?: [string, string] } = {}): Promise<Answer> {
    return this.send({ op: 'open', port, ...o });
  }

  call(method: string, args: Record<string, unknown> = {}): Promise<Answer> {
    return this.send({ op: 'call', method, args });
  }

  /** The call's result, failing the test with the answer otherwise. */
  async ok(method: string, args: Record<string, unknown> = {}): Promise<any> {
    const a = await this.call(method, args);
    if (!('ok' in a)) throw new Error(`${method} failed: ${JSON.stringify(a)}`);
    return a.ok;
  }

  /** Closes the connection; the last client of a bridge ends its process. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.send({ op: 'close' }).catch(() => undefined);
    if (--this.bridge.users === 0) {
      bridges.delete(this.key);
      this.bridge.end();
    }
  }
}
