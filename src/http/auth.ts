import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccessKeyService } from '../services/iam/access-key-service.js';
import type { Principal } from '../services/iam/principal.js';
import { parseAuthorization, verifyRequestSignature } from '../services/iam/request-signature.js';
import type { TokenService } from '../services/iam/token-service.js';
import { HttpError } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    rawBody?: Buffer;
    /** Set by onRequest when the request carries an AK/SK signature, checked once the body is read. */
    signed?: boolean;
  }
}

const header = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

async function readBody(request: FastifyRequest, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw) {
    size += (chunk as Buffer).length;
    if (size > limit)
      throw new HttpError(413, 'common.01000413', 'the request body is larger than the server accepts for this method');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** First step (before the body is read): a token is checked here, a signature is noted for later. */
export function tokenAuthentication(tokens: TokenService) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = header(request, 'x-auth-token');
    if (token) {
      const principal = await tokens.validate(token);
      if (!principal)
        throw new HttpError(
          401,
          'APIG.0301',
          'the X-Auth-Token is invalid, expired or revoked',
          'Get a new token with POST /v3/auth/tokens.',
        );
      request.principal = principal;
      return;
    }
    if (/^SDK-HMAC-SHA256\s/i.test(header(request, 'authorization') ?? '')) {
      request.signed = true;
      return;
    }
    throw new HttpError(
      401,
      'APIG.1002',
      'the request carries no credentials: send X-Auth-Token or sign it with an access key (SDK-HMAC-SHA256)',
    );
  };
}

/** Second step, after the body is read: verify an AK/SK signature over the exact bytes received. */
export function signatureAuthentication(accessKeys: AccessKeyService) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!request.signed || request.principal) return;
    const parsed = parseAuthorization(header(request, 'authorization') ?? '');
    if (!parsed)
      throw new HttpError(401, 'APIG.0301', 'the Authorization header is not a valid SDK-HMAC-SHA256 signature');
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    const projectId = header(request, 'x-project-id') ?? params.project_id ?? null;
    // The SDKs sign a body even on GET (the Node SDK sends `{}`); the framework does not read
    // bodies of GET/HEAD, so read it here to hash the exact bytes.
    if (
      request.rawBody === undefined &&
      Number(header(request, 'content-length') ?? 0) > 0 &&
      !request.raw.readableEnded
    ) {
      request.rawBody = await readBody(request, 64 * 1024);
    }
    const creds = await accessKeys.credentialsFor(parsed.accessKey, header(request, 'x-security-token'), projectId);
    if (!creds)
      throw new HttpError(
        401,
        'APIG.0301',
        'the access key is unknown, inactive or expired, or its security token does not match',
      );
    const check = verifyRequestSignature(
      {
        method: request.method,
        rawUrl: request.raw.url ?? request.url,
        headers: request.headers,
        body: request.rawBody ?? Buffer.alloc(0),
      },
      (ak) => (ak === parsed.accessKey ? creds.secret : undefined),
      new Date(),
    );
    if (!check.ok) throw new HttpError(401, 'APIG.0301', `signature rejected: ${check.reason}`);
    request.principal = creds.principal;
    void accessKeys
      .touch(parsed.accessKey)
      .catch((err) => request.log.warn({ err }, 'could not record access key use'));
  };
}

/**
 * A credential is scoped to one project: a path naming another project is refused before any
 * lookup, so the answer is the same whether or not that project or its resources exist.
 */
export async function projectScope(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  checkProjectScope(request);
}

export function checkProjectScope(request: FastifyRequest): void {
  const projectId = (request.params as Record<string, string | undefined>).project_id;
  if (projectId === undefined) return;
  const p = request.principal;
  if (!p || p.projectId !== projectId) {
    throw new HttpError(
      403,
      'common.01000003',
      p?.projectId
        ? 'the credential is scoped to another project; it cannot address this project'
        : 'this operation needs a credential scoped to the project in the path',
    );
  }
}
