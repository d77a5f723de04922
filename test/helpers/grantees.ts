// The three ways a user is reached by a grant — directly, through an IAM group, through a role —
// each with a user of its own, for the generated authorization matrices.
import type { TestServer } from './server.js';

export type How = 'direct' | 'group' | 'role';
export interface Grantees {
  /** The principal a grant names for each way. */
  principals: Record<How, { principal_name: string; principal_source: string; principal_type: string }>;
  /** The user that each way reaches. */
  users: Record<How, string>;
  /** A token of each of those users. */
  tokens: Record<How, string>;
}

/** Creates `<p>_direct`, a group `<p>_group` holding `<p>_grp_user`, and a role `<p>_role` held by `<p>_role_user`. */
export async function createGrantees(
  server: TestServer,
  token: string,
  instanceBase: string,
  p: string,
): Promise<Grantees> {
  const ok = async (method: string, path: string, body?: unknown) => {
    const r = await server.request(method, path, { token, body });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r;
  };
  const users: Record<How, string> = { direct: `${p}_direct`, group: `${p}_grp_user`, role: `${p}_role_user` };
  for (const name of Object.values(users)) await ok('POST', '/v3/users', { user: { name, password: 'Pass-word-123' } });
  const g = await ok('POST', '/v3/groups', { group: { name: `${p}_group` } });
  const u = await ok('GET', `/v3/users?name=${users.group}`);
  await ok('PUT', `/v3/groups/${g.json.group.id}/users/${u.json.users[0].id}`);
  await ok('POST', `${instanceBase}/roles`, { role_name: `${p}_role` });
  await ok('POST', `${instanceBase}/users/${users.role}/grant-roles`, [
    { role_name: `${p}_role`, principal_source: 'LOCAL' },
  ]);
  const tokens = {} as Record<How, string>;
  for (const [how, name] of Object.entries(users) as [How, string][])
    tokens[how] = (await server.login(name, 'Pass-word-123')).token;
  return {
    users,
    tokens,
    principals: {
      direct: { principal_name: users.direct, principal_source: 'IAM', principal_type: 'USER' },
      group: { principal_name: `${p}_group`, principal_source: 'IAM', principal_type: 'GROUP' },
      role: { principal_name: `${p}_role`, principal_source: 'LOCAL', principal_type: 'ROLE' },
    },
  };
}
