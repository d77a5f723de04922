import type { FastifyRequest } from 'fastify';

/** The address clients reach this server at: configured, or as the request came in. */
export function baseUrl(request: FastifyRequest, configured: string | undefined): string {
  if (configured) return configured.replace(/\/$/, '');
  const proto = (request.headers['x-forwarded-proto'] as string | undefined) ?? request.protocol;
  return `${proto}://${request.headers.host ?? 'localhost'}`;
}
