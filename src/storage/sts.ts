import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { S3Settings } from './s3-storage.js';

export interface PrefixCredential {
  access: string;
  secret: string;
  sessionToken: string;
  expiresAt: string;
}

/**
 * The session policy of a vended credential: objects under exactly one prefix (a literal path
 * ending in '/', checked by the caller to hold no wildcard or policy character), and listing
 * of that prefix only. AssumeRole intersects it with the role's own policy, so it can only narrow.
 */
export function prefixPolicy(bucket: string, prefix: string | string[], write: boolean): string {
  const prefixes = typeof prefix === 'string' ? [prefix] : prefix;
  const objectActions = [
    's3:GetObject',
    's3:GetObjectVersion',
    ...(write ? ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] : []),
  ];
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: objectActions, Resource: prefixes.map((p) => `arn:aws:s3:::${bucket}/${p}*`) },
      {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucket}`],
        Condition: { StringLike: { 's3:prefix': prefixes.map((p) => `${p}*`) } },
      },
    ],
  });
}

/** Asks the store's STS for a credential limited to one prefix (or a few, each a table's). */
export async function assumeRoleForPrefix(
  s: S3Settings & { sts: NonNullable<S3Settings['sts']> },
  bucket: string,
  prefix: string | string[],
  write: boolean,
  durationSeconds: number,
  sessionName: string,
): Promise<PrefixCredential> {
  const client = new STSClient({
    endpoint: s.sts.endpoint,
    region: s.region,
    credentials: {
      accessKeyId: s.accessKeyId,
      secretAccessKey: s.secretAccessKey,
      ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}),
    },
  });
  try {
    const r = await client.send(
      new AssumeRoleCommand({
        RoleArn: s.sts.roleArn,
        RoleSessionName: sessionName.replace(/[^\w+=,.@-]/g, '_').slice(0, 64),
        DurationSeconds: durationSeconds,
        Policy: prefixPolicy(bucket, prefix, write),
      }),
    );
    const c = r.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration)
      throw new Error('the STS answered without credentials');
    return {
      access: c.AccessKeyId,
      secret: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiresAt: c.Expiration.toISOString(),
    };
  } catch (err) {
    // The SDK's error carries the signed request: keep only what it says.
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    throw new Error(
      (
        `the object store's STS refused AssumeRole ` +
        `(${e.name ?? 'error'}${e.$metadata?.httpStatusCode ? `, HTTP ${e.$metadata.httpStatusCode}` : ''}): ` +
        `${e.message ?? ''}`
      ).trim(),
    );
  } finally {
    client.destroy();
  }
}
