// Import rules that Biome cannot express: no cycles, and the layers of the README
// (protocols → services → store and storage, never back). `npm run lint` runs it.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle ties modules into one unit: move the shared piece to a module both can import.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'services-not-to-protocols',
      severity: 'error',
      comment: 'Services know nothing of HTTP or Thrift: protocols call services, never the other way.',
      from: { path: '^src/services/' },
      to: { path: '^src/(http|metastore)/' },
    },
    {
      name: 'adapters-not-up',
      severity: 'error',
      comment: 'The store (SQL) and storage (objects) are the bottom layer: they import no service or protocol.',
      from: { path: '^src/(store|storage)/' },
      to: { path: '^src/(services|http|metastore)/' },
    },
    {
      name: 'store-storage-apart',
      severity: 'error',
      comment: 'The metadata store and object storage are separate adapters; services combine them.',
      from: { path: '^src/(store|storage)/' },
      to: { path: '^src/(store|storage)/', pathNot: '^src/$1/' },
    },
    {
      name: 'protocols-apart',
      severity: 'error',
      comment: 'Each protocol maps onto the services by itself; shared rules belong in the services.',
      from: { path: '^src/(http|metastore)/' },
      to: { path: '^src/(http|metastore)/', pathNot: '^src/$1/' },
    },
    {
      name: 'no-http-below-protocols',
      severity: 'error',
      comment: 'Only protocols speak HTTP: services, store and storage do not import the web framework.',
      from: { path: '^src/(services|store|storage)/' },
      to: { path: '^node_modules/(fastify|@fastify/[^/]+)/' },
    },
    {
      name: 'sql-drivers-in-store',
      severity: 'error',
      comment:
        'SQL lives in src/store. The one exception reads a foreign Hive Metastore database (not ours) through its own drivers.',
      from: { pathNot: ['^src/store/', '^src/services/jobs/hms/(mysql|postgres)-source\\.ts$', '^(test|bench)/'] },
      to: { path: '^node_modules/(kysely|better-sqlite3|pg|mysql2)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'console-is-another-app',
      severity: 'error',
      comment:
        'The web console is a separate app: it reaches the server through its HTTP API, and the server never imports it.',
      from: { path: '^src/' },
      to: { path: '^console/' },
    },
    {
      name: 'console-uses-the-api',
      severity: 'error',
      comment: 'The console may import types of the server (type-only imports), never its code.',
      from: { path: '^console/' },
      to: { path: '^src/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-tests',
      severity: 'error',
      comment: 'Production code never imports test code.',
      from: { path: '^(src|bench|console)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/metastore/gen/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle of types still ties modules together.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
