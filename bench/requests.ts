/** Request bodies the bench modes share, and the JSON request (run.ts's json) they are sent with. */

export type JsonRequest<B = unknown> = (
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
) => Promise<{ headers: Headers; body: B }>;

/** IAM's password sign-in of a user of the default domain, scoped to the default project. */
export const passwordLogin = (name: string, password: string) => ({
  auth: {
    identity: { methods: ['password'], password: { user: { name, password, domain: { name: 'default' } } } },
    scope: { project: { name: 'default' } },
  },
});

/** An append snapshot of an Iceberg table (its manifest list is never read by these modes). */
export const appendSnapshot = (id: number, seq = id) => ({
  'snapshot-id': id,
  'sequence-number': seq,
  'timestamp-ms': Date.now(),
  'manifest-list': `s3://b/snap-${id}.avro`,
  summary: { operation: 'append' },
});

/** An Iceberg append's updates: snapshot `id` (sequence number `seq`) added and made `main`. */
export const appendUpdates = (id: number, seq = id) => [
  { action: 'add-snapshot', snapshot: appendSnapshot(id, seq) },
  { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': id },
];
