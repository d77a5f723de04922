// The parts of @20minutes/s3rver (a CommonJS package without types) the tests use.
declare module '@20minutes/s3rver' {
  import type { IncomingMessage } from 'node:http';

  interface Options {
    address?: string;
    port?: number;
    directory: string;
    silent?: boolean;
    allowMismatchedSignatures?: boolean;
  }
  interface Context {
    method: string;
    path: string;
    querystring: string;
    req: IncomingMessage;
  }
  type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;
  export default class S3rver {
    constructor(options: Options);
    middleware: Middleware[];
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }
}
