// The console's only way to the server: the public API, with the signed-in user's token.

export interface Session {
  token: string;
  expiresAt: string;
  userName: string;
  domainName: string;
  projectId: string;
  projectName: string;
}

const KEY = 'lakeform.console.session';
let current: Session | null = readStored();

function readStored(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function session(): Session | null {
  if (current && Date.parse(current.expiresAt) <= Date.now()) expire();
  return current;
}

function requireSession(): Session {
  const s = session();
  if (!s) throw new ApiError(401, 'console.expired', 'Your session has expired. Sign in again.');
  return s;
}

export function forget(): void {
  current = null;
  sessionStorage.removeItem(KEY);
}

/** Ends the session and tells the app, which returns to sign-in with a message. */
function expire(): void {
  if (!current) return;
  forget();
  window.dispatchEvent(new CustomEvent('lakeform:expired'));
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly solution?: string,
  ) {
    super(message);
  }
}

export type Query = Record<string, string | number | boolean | undefined | null | (string | number)[]>;

export interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  token?: string | false;
  headers?: Record<string, string>;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      for (const x of v) q.append(k, String(x));
    } else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function request(path: string, call: Call = {}): Promise<Response> {
  const headers: Record<string, string> = { ...call.headers };
  const token = call.token === undefined ? requireSession().token : call.token;
  if (token) headers['X-Auth-Token'] = token;
  if (call.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path + queryString(call.query), {
    method: call.method ?? 'GET',
    headers,
    signal: call.signal,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  if (res.ok) return res;
  const text = await res.text();
  let code = String(res.status);
  let message = text || res.statusText;
  let solution: string | undefined;
  try {
    const j = JSON.parse(text) as {
      error_code?: string;
      error_msg?: string;
      solution_msg?: string;
      error?: { message?: string; type?: string } | string;
      message?: string;
    };
    if (j.error_msg) {
      message = j.error_msg;
      code = j.error_code ?? code;
      solution = j.solution_msg;
    } else if (typeof j.error === 'object' && j.error?.message) message = j.error.message;
    else if (j.message) message = j.message;
  } catch {
    /* not JSON: the text is the message */
  }
  if (res.status === 401 && token && call.token === undefined) expire();
  throw new ApiError(res.status, code, message, solution);
}

export async function api<T = unknown>(path: string, call: Call = {}): Promise<T> {
  const res = await request(path, call);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const enc = encodeURIComponent;
/** A LakeFormation path of the signed-in project. */
export const lf = (path: string) => `/v1/${requireSession().projectId}${path}`;
/** A path under one instance. */
export const inst = (instance: string, path: string) => lf(`/instances/${enc(instance)}${path}`);

export async function signIn(input: {
  userName: string;
  password: string;
  domainName: string;
  projectName: string;
}): Promise<Session> {
  const res = await request('/v3/auth/tokens', {
    method: 'POST',
    token: false,
    body: {
      auth: {
        identity: {
          methods: ['password'],
          password: {
            user: {
              name: input.userName,
              password: input.password,
              domain: { name: input.domainName },
            },
          },
        },
        scope: { project: { name: input.projectName, domain: { name: input.domainName } } },
      },
    },
  });
  const body = (await res.json()) as { token: { expires_at: string; project?: { id: string; name: string } } };
  const token = res.headers.get('X-Subject-Token');
  if (!token || !body.token.project) throw new ApiError(500, 'console', 'the server returned no project-scoped token');
  current = {
    token,
    expiresAt: body.token.expires_at,
    userName: input.userName,
    domainName: input.domainName,
    projectId: body.token.project.id,
    projectName: body.token.project.name,
  };
  sessionStorage.setItem(KEY, JSON.stringify(current));
  return current;
}

export async function signOut(): Promise<void> {
  const s = current;
  forget();
  if (s)
    await request('/v3/auth/tokens', {
      method: 'DELETE',
      token: s.token,
      headers: { 'X-Subject-Token': s.token },
      signal: AbortSignal.timeout(3000),
    }).catch(() => undefined);
}

export function errorText(err: unknown): string {
  if (err instanceof ApiError)
    return `${err.message}${err.code && err.code !== String(err.status) ? ` (${err.code})` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
