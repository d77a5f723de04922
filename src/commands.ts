import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { Config } from './config.js';
import { type ConfigOverrides, loadConfig } from './config.js';
import { createLogger, VERSION } from './logger.js';
import type { AppServices } from './services/app-services.js';
import { ServiceError } from './services/errors.js';
import type { Principal } from './services/iam/principal.js';
import { createObjectStorage, localWarehouse } from './storage/index.js';
import {
  backupKind,
  backupPostgres,
  backupSqlite,
  hasSchema,
  restorePostgres,
  restoreSqlite,
  sqliteFileOf,
  sqliteStoreExists,
} from './store/backup.js';
import { storeCounts } from './store/status.js';
import { openStore, type Store } from './store/store.js';

const program = new Command('lakeform')
  .description('Self-hostable lakehouse catalog speaking the Huawei Cloud LakeFormation API')
  .version(VERSION)
  .option('--data-dir <dir>', 'data directory (LAKEFORM_DATA_DIR, default ./data)')
  .option('--database-url <url>', 'sqlite:<file> or postgres:// URL (LAKEFORM_DATABASE_URL)');

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is an integer from 0 to 65535');
  return n;
};

function overrides(extra: ConfigOverrides = {}): ConfigOverrides {
  const g = program.opts<{ dataDir?: string; databaseUrl?: string }>();
  return {
    ...(g.dataDir ? { dataDir: g.dataDir } : {}),
    ...(g.databaseUrl ? { databaseUrl: g.databaseUrl } : {}),
    ...extra,
  };
}

program
  .command('serve')
  .description('run the HTTP server (the default for npm start)')
  .option('-p, --port <port>', 'port to listen on; 0 picks a free one (LAKEFORM_PORT, default 8080)', port)
  .option('--host <host>', 'address to bind (LAKEFORM_HOST, default 127.0.0.1)')
  .addHelpText(
    'after',
    '\nLAKEFORM_MEMORY_MB=<n>: the memory budget; the V8 heap, SQLite page cache and caches are sized from it\n' +
      '(docs/configuration.md lists every variable)',
  )
  .action(async (opts: { port?: number; host?: string }) => {
    const config = loadConfig(
      process.env,
      overrides({ ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host ? { host: opts.host } : {}) }),
    );
    const log = createLogger(config.logLevel);
    // Loaded here, not at the top: an admin command needs neither the server nor the HTTP app.
    const [{ startServer }, { CONSOLE_DIR }] = await Promise.all([
      import('./server.js'),
      import('./http/console-static.js'),
    ]);
    const server = await startServer(config, log);
    // For the person at the terminal, like the generated password: the structured log stays on stdout.
    if (fs.existsSync(path.join(CONSOLE_DIR, 'index.html')))
      process.stderr.write(`\n  lakeform console: ${server.url}/console/\n\n`);
    let signals = 0;
    const shutdown = (signal: string) => {
      if (++signals > 1) process.exit(1); // a second signal means: stop now
      log.info({ signal }, 'shutting down: finishing in-flight requests');
      server.close().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // Started again by src/cli.ts for a memory budget: it forwards signals; if it is killed
    // outright, this process goes the same way rather than linger unseen.
    if (process.channel) {
      process.channel.unref();
      process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
    }
  });

/** The store's URL as it may be printed: a PostgreSQL password is left out. */
function shownUrl(databaseUrl: string): string {
  if (!databaseUrl.startsWith('postgres')) return databaseUrl;
  const u = new URL(databaseUrl);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * Opens the store of the data dir an admin command works on, and says which on stderr. Only
 * `serve` creates a store: a command pointed at a dir without one would otherwise make a second,
 * empty store beside the server's and write there unseen.
 */
async function openExistingStore(config: Config): Promise<Store> {
  process.stderr.write(`lakeform: data dir ${config.dataDir}, store ${shownUrl(config.databaseUrl)}\n`);
  const missing = () =>
    new ServiceError(
      'not_found',
      `there is no lakeform store in ${config.dataDir} ` +
        `(${shownUrl(config.databaseUrl)}); start the server once with \`lakeform serve\` to create it, or point ` +
        '--data-dir / LAKEFORM_DATA_DIR (or --database-url) at the one the server uses',
    );
  if (sqliteFileOf(config.databaseUrl) !== undefined && !sqliteStoreExists(config.databaseUrl)) throw missing();
  const store = openStore(config.databaseUrl);
  if (!(await hasSchema(store))) {
    await store.close();
    throw missing();
  }
  return store;
}

/** Runs an admin task directly against the data directory, as the domain's administrator. */
async function withServices(
  fn: (s: AppServices, admin: (domain?: string) => Promise<Principal>) => Promise<unknown>,
): Promise<void> {
  const config = loadConfig(process.env, overrides({ logLevel: 'warn' }));
  const log = createLogger('warn', 2);
  const store = await openExistingStore(config);
  const storage = await createObjectStorage(config);
  try {
    await store.migrate();
    // Loaded once the store is found: a refused command stops before this.
    const { createServices } = await import('./services/app-services.js');
    const services = await createServices(config, store, storage, log, VERSION);
    await services.identity.bootstrap(config.adminPassword);
    const admin = async (domainName = 'default'): Promise<Principal> => {
      const domain = await services.identity.domainByName(domainName);
      if (!domain) throw new ServiceError('not_found', `domain ${domainName} does not exist`);
      return {
        userId: 'cli',
        userName: 'cli',
        domainId: domain.id,
        domainName,
        projectId: null,
        projectName: null,
        isAdmin: true,
        via: 'token',
        methods: ['cli'],
      };
    };
    const out = await fn(services, admin);
    if (out !== undefined) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } finally {
    storage.close?.();
    await store.close();
  }
}

const strongPassword = () => `Lf-${randomBytes(18).toString('base64url')}`;

const user = program.command('user').description('manage users of a domain');
user
  .command('create <name>')
  .description('create a user; prints a generated password unless --password is given')
  .option('--password <password>')
  .option('--admin', 'add the user to the admin group')
  .option('--description <text>')
  .option('--domain <name>', 'domain', 'default')
  .action((name: string, o: { password?: string; admin?: boolean; description?: string; domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const password = o.password ?? strongPassword();
      const u = await s.identity.createUser(caller, { name, password, description: o.description });
      if (o.admin) {
        const group = (await s.identity.listGroups(caller, { name: 'admin', limit: 1 }))[0];
        if (group) await s.identity.addUserToGroup(caller, group.id, u.id);
      }
      return { id: u.id, name: u.name, domain: o.domain, admin: Boolean(o.admin), ...(o.password ? {} : { password }) };
    }),
  );
user
  .command('list')
  .option('--domain <name>', 'domain', 'default')
  .action((o: { domain: string }) =>
    withServices(async (s, admin) =>
      (await s.identity.listUsers(await admin(o.domain), { limit: 1000 })).map((u) => ({
        id: u.id,
        name: u.name,
        enabled: u.enabled === 1,
      })),
    ),
  );
user
  .command('set-password <name>')
  .description("set a new password (ends the user's sessions)")
  .option('--password <password>')
  .option('--domain <name>', 'domain', 'default')
  .action((name: string, o: { password?: string; domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const u = await s.identity.userByName(caller.domainId, name);
      if (!u) throw new ServiceError('not_found', `user ${name} does not exist`);
      const password = o.password ?? strongPassword();
      await s.identity.updateUser(caller, u.id, { password });
      return { name, ...(o.password ? {} : { password }) };
    }),
  );
user
  .command('delete <name>')
  .option('--domain <name>', 'domain', 'default')
  .action((name: string, o: { domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const u = await s.identity.userByName(caller.domainId, name);
      if (!u) throw new ServiceError('not_found', `user ${name} does not exist`);
      await s.identity.deleteUser(caller, u.id);
      return { deleted: name };
    }),
  );

const group = program.command('group').description('manage groups');
group
  .command('create <name>')
  .option('--description <text>')
  .option('--domain <name>', 'domain', 'default')
  .action((name: string, o: { description?: string; domain: string }) =>
    withServices(async (s, admin) => {
      const g = await s.identity.createGroup(await admin(o.domain), { name, description: o.description });
      return { id: g.id, name: g.name };
    }),
  );
group
  .command('add-user <group> <user>')
  .option('--domain <name>', 'domain', 'default')
  .action((groupName: string, userName: string, o: { domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const g = (await s.identity.listGroups(caller, { name: groupName, limit: 1 }))[0];
      const u = await s.identity.userByName(caller.domainId, userName);
      if (!g || !u) throw new ServiceError('not_found', `group ${groupName} or user ${userName} does not exist`);
      await s.identity.addUserToGroup(caller, g.id, u.id);
      return { group: groupName, user: userName };
    }),
  );

const project = program.command('project').description('manage projects');
project
  .command('create <name>')
  .option('--description <text>')
  .option('--domain <name>', 'domain', 'default')
  .action((name: string, o: { description?: string; domain: string }) =>
    withServices(async (s, admin) => {
      const p = await s.identity.createProject(await admin(o.domain), { name, description: o.description });
      return { id: p.id, name: p.name };
    }),
  );
project
  .command('list')
  .option('--domain <name>', 'domain', 'default')
  .action((o: { domain: string }) =>
    withServices(async (s, admin) =>
      (await s.identity.listProjects(await admin(o.domain), { limit: 1000 })).map((p) => ({ id: p.id, name: p.name })),
    ),
  );

const accessKey = program.command('accesskey').description('manage permanent access keys (AK/SK)');
accessKey
  .command('create <user>')
  .description('create an access key; the secret is shown once')
  .option('--description <text>')
  .option('--domain <name>', 'domain', 'default')
  .action((userName: string, o: { description?: string; domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const u = await s.identity.userByName(caller.domainId, userName);
      if (!u) throw new ServiceError('not_found', `user ${userName} does not exist`);
      return s.accessKeys.create(caller, u.id, o.description ?? '');
    }),
  );
accessKey
  .command('list [user]')
  .option('--domain <name>', 'domain', 'default')
  .action((userName: string | undefined, o: { domain: string }) =>
    withServices(async (s, admin) => {
      const caller = await admin(o.domain);
      const u = userName ? await s.identity.userByName(caller.domainId, userName) : undefined;
      if (userName && !u) throw new ServiceError('not_found', `user ${userName} does not exist`);
      return s.accessKeys.list(caller, u?.id);
    }),
  );
accessKey
  .command('delete <access>')
  .option('--domain <name>', 'domain', 'default')
  .action((access: string, o: { domain: string }) =>
    withServices(async (s, admin) => {
      await s.accessKeys.delete(await admin(o.domain), access);
      return { deleted: access };
    }),
  );

program
  .command('migrate')
  .description('apply pending schema migrations to an existing store and exit')
  .action(() => withServices(async () => ({ migrated: true })));

program
  .command('backup <file>')
  .description('write a consistent copy of the metadata store to <file> while the server runs')
  .action(async (file: string) => {
    const config = loadConfig(process.env, overrides({ logLevel: 'warn' }));
    const dest = path.resolve(file);
    if (fs.existsSync(dest)) throw new ServiceError('conflict', `${dest} exists; a backup never overwrites a file`);
    const store = await openExistingStore(config);
    try {
      const pending = await store.pendingMigrations();
      if (pending.length)
        throw new ServiceError(
          'conflict',
          `the store has pending migrations (${pending.join(', ')}); start ` +
            `the server or run \`lakeform migrate\` first`,
        );
      const result =
        store.dialect === 'sqlite'
          ? await backupSqlite(config.databaseUrl, dest)
          : await backupPostgres(store, dest, await appliedMigrations(store));
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await store.close();
    }
  });

program
  .command('restore <file>')
  .description('restore a backup into a data dir (or database) that holds no store yet')
  .action(async (file: string) => {
    const config = loadConfig(process.env, overrides({ logLevel: 'warn' }));
    const source = path.resolve(file);
    if (!fs.existsSync(source)) throw new ServiceError('not_found', `${source} does not exist`);
    const kind = await backupKind(source);
    process.stderr.write(
      `lakeform: restoring into data dir ${config.dataDir}, store ${shownUrl(config.databaseUrl)}\n`,
    );
    const sqliteTarget = sqliteFileOf(config.databaseUrl) !== undefined;
    if (kind !== (sqliteTarget ? 'sqlite' : 'postgres')) {
      throw new ServiceError(
        'invalid',
        `${source} is a ${kind} backup but the target store is ${sqliteTarget ? 'SQLite' : 'PostgreSQL'}`,
      );
    }
    const occupied = () =>
      new ServiceError(
        'conflict',
        `${shownUrl(config.databaseUrl)} already holds a store; restore only into an empty data dir or database`,
      );
    if (sqliteTarget) {
      if (sqliteStoreExists(config.databaseUrl)) throw occupied();
      restoreSqlite(source, config.databaseUrl);
      const store = openStore(config.databaseUrl);
      try {
        await store.migrate(); // a backup of an older build is brought up to this one
      } finally {
        await store.close();
      }
      process.stdout.write(`${JSON.stringify({ restored: source, into: config.databaseUrl }, null, 2)}\n`);
      return;
    }
    const store = openStore(config.databaseUrl);
    try {
      if (await hasSchema(store)) throw occupied();
      await store.migrate();
      const loaded = await restorePostgres(store, source, await appliedMigrations(store));
      process.stdout.write(
        `${JSON.stringify({ restored: source, into: shownUrl(config.databaseUrl), ...loaded }, null, 2)}\n`,
      );
    } finally {
      await store.close();
    }
  });

program
  .command('status')
  .description('show the server, store, storage and counts of a data dir')
  .action(async () => {
    const config = loadConfig(process.env, overrides({ logLevel: 'warn' }));
    const store = await openExistingStore(config);
    try {
      const base = config.publicUrl ?? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`;
      const server = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) })
        .then(async (r) => ({ url: base, running: true, ...((await r.json()) as object) }))
        .catch(() => ({ url: base, running: false }));
      const storage = await createObjectStorage(config);
      let bucket: boolean | string;
      try {
        bucket = await storage.bucketExists(config.defaultBucket);
      } catch (err) {
        bucket = err instanceof Error ? err.message : String(err);
      } finally {
        storage.close?.();
      }
      const s = config.storage;
      process.stdout.write(
        `${JSON.stringify(
          {
            data_dir: config.dataDir,
            server,
            store: {
              dialect: store.dialect,
              url: shownUrl(config.databaseUrl),
              migrations_applied: (await appliedMigrations(store)).length,
              migrations_pending: await store.pendingMigrations(),
            },
            storage: {
              kind: s.kind,
              ...(s.kind === 'local' ? { warehouse: localWarehouse(config) } : { endpoint: s.endpoint }),
              default_bucket: config.defaultBucket,
              default_bucket_exists: bucket,
            },
            counts: await storeCounts(store.db),
          },
          null,
          2,
        )}\n`,
      );
    } finally {
      await store.close();
    }
  });

async function appliedMigrations(store: Store): Promise<string[]> {
  const pending = new Set(await store.pendingMigrations());
  const { migrationProvider } = await import('./store/migrations/index.js');
  return Object.keys(await migrationProvider(store.dialect).getMigrations()).filter((m) => !pending.has(m));
}

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`lakeform: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof ServiceError ? 2 : 1);
});
