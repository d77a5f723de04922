import {
  Alert,
  Badge,
  Button,
  Checkbox,
  Group,
  List,
  MultiSelect,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { skipToken, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { api, enc, inst } from '../api';
import type { PageInfo } from '../types';
import { ActionModal, ErrorAlert, Loading, PagedTable, Pager, useKeyset, useToggle } from '../ui';

const PERMISSIONS = [
  'ALL',
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'ALTER',
  'DROP',
  'DESCRIBE',
  'CREATE_DATABASE',
  'CREATE_TABLE',
  'CREATE_FUNC',
  'EXEC',
  'READ',
  'WRITE',
];
const ACTIONS = [...PERMISSIONS.filter((p) => p !== 'ALL'), 'USE'];
const RESOURCE_TYPES = ['CATALOG', 'DATABASE', 'TABLE', 'COLUMN', 'FUNC', 'URI'];
const PRINCIPAL_TYPES = ['USER', 'GROUP', 'ROLE'];

interface Principal {
  principal_name: string;
  principal_type: string;
  principal_source: string;
}
interface Resource {
  type: string;
  catalog: string;
  database: string;
  table: string;
  columns: string;
  func: string;
  uri: string;
}
interface Policy extends Principal {
  resource: Record<string, unknown> & { type?: string };
  resource_name?: string;
  permissions: string[];
  grant_able_permissions?: string[];
  effect?: boolean;
}
// A grant has no id of its own: who, on what, allow or deny, and which permissions tell two rows apart.
/** A policy in words: "DENY SELECT on TABLE db.t (to user alice)". */
const policyText = (p: Policy) =>
  `${p.effect === false ? 'DENY ' : ''}${p.permissions.join(', ')} on ${p.resource.type} ` +
  `${p.resource_name ?? JSON.stringify(p.resource)} (to ${p.principal_type.toLowerCase()} ${p.principal_name})`;

const policyKey = (p: Policy) =>
  JSON.stringify([
    p.principal_type,
    p.principal_source,
    p.principal_name,
    p.resource_name ?? p.resource,
    p.effect,
    p.permissions,
  ]);

export default function Access() {
  const { instance = 'default' } = useParams();
  return (
    <Stack>
      <Title order={1} size="h2">
        Access
      </Title>
      <Tabs defaultValue="grants" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="grants">Grants</Tabs.Tab>
          <Tabs.Tab value="why">Why can / can't</Tabs.Tab>
          <Tabs.Tab value="roles">Roles</Tabs.Tab>
          <Tabs.Tab value="users">Users and groups</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="grants" pt="sm">
          <Grants instance={instance} />
        </Tabs.Panel>
        <Tabs.Panel value="why" pt="sm">
          <Why instance={instance} />
        </Tabs.Panel>
        <Tabs.Panel value="roles" pt="sm">
          <Roles instance={instance} />
        </Tabs.Panel>
        <Tabs.Panel value="users" pt="sm">
          <UsersAndGroups instance={instance} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

const emptyResource: Resource = {
  type: 'TABLE',
  catalog: 'hive',
  database: '',
  table: '',
  columns: '',
  func: '',
  uri: '',
};

/** The resource picker: the object kind, then the names its path needs (catalogs, databases and tables offered). */
function ResourcePicker({
  instance,
  value,
  onChange,
}: {
  instance: string;
  value: Resource;
  onChange: (r: Resource) => void;
}) {
  const catalogs = useQuery({
    queryKey: ['catalogs', instance],
    queryFn: () => api<{ catalog_name: string }[]>(inst(instance, '/catalogs')),
  });
  const dbs = useQuery({
    queryKey: ['databases', instance, value.catalog, 'names'],
    enabled: Boolean(value.catalog),
    queryFn: () =>
      api<{ databases: { database_name: string }[] }>(inst(instance, `/catalogs/${enc(value.catalog)}/databases`), {
        query: { limit: 100 },
      }),
  });
  const tables = useQuery({
    queryKey: ['tables', instance, value.catalog, value.database, 'names'],
    enabled: Boolean(value.catalog && value.database && !value.database.includes('*')),
    queryFn: () =>
      api<{ tables: { table_name: string }[] }>(
        inst(instance, `/catalogs/${enc(value.catalog)}/databases/${enc(value.database)}/tables`),
        { query: { limit: 100, include_fields: 'table_name' } },
      ),
  });
  const set = (k: keyof Resource) => (v: string | null) => onChange({ ...value, [k]: v ?? '' });
  const t = value.type;
  const withDb = ['DATABASE', 'TABLE', 'COLUMN', 'FUNC'].includes(t);
  const withTable = ['TABLE', 'COLUMN'].includes(t);
  return (
    <SimpleGrid cols={{ base: 1, md: 3 }} role="group" aria-label="Resource">
      <Select
        label="Resource type"
        value={t}
        data={RESOURCE_TYPES}
        allowDeselect={false}
        onChange={(v) => onChange({ ...value, type: v ?? 'TABLE' })}
      />
      {t !== 'URI' && (
        <Select
          label="Catalog"
          searchable
          value={value.catalog}
          onChange={set('catalog')}
          data={(catalogs.data ?? []).map((c) => c.catalog_name)}
        />
      )}
      {withDb && (
        <Select
          label="Database"
          searchable
          value={value.database || null}
          onChange={set('database')}
          data={['*', ...(dbs.data?.databases ?? []).map((d) => d.database_name)]}
        />
      )}
      {withTable && (
        <Select
          label="Table"
          searchable
          value={value.table || null}
          onChange={set('table')}
          data={['*', ...(tables.data?.tables ?? []).map((x) => x.table_name)]}
        />
      )}
      {t === 'COLUMN' && (
        <TextInput
          label="Columns"
          description="comma-separated"
          value={value.columns}
          onChange={(e) => set('columns')(e.currentTarget.value)}
        />
      )}
      {t === 'FUNC' && (
        <TextInput label="Function" value={value.func} onChange={(e) => set('func')(e.currentTarget.value)} />
      )}
      {t === 'URI' && (
        <TextInput
          label="URI"
          placeholder="obs://bucket/path"
          value={value.uri}
          onChange={(e) => set('uri')(e.currentTarget.value)}
        />
      )}
    </SimpleGrid>
  );
}

/** The picker's choice as the grant API's nested resource. */
function resourceInfo(r: Resource) {
  if (r.type === 'URI') return { type: 'URI', uris: [r.uri] };
  const table =
    r.type === 'TABLE' || r.type === 'COLUMN'
      ? [
          {
            name: r.table,
            ...(r.type === 'COLUMN'
              ? {
                  columns: {
                    column_name: r.columns
                      .split(',')
                      .map((c) => c.trim())
                      .filter(Boolean),
                    filter: 'Include',
                  },
                }
              : {}),
          },
        ]
      : undefined;
  const db =
    r.type === 'CATALOG'
      ? undefined
      : [
          {
            name: r.database,
            ...(table ? { tables: table } : {}),
            ...(r.type === 'FUNC' ? { functions: [{ name: r.func }] } : {}),
          },
        ];
  return {
    type: r.type === 'COLUMN' ? 'COLUMN' : r.type,
    catalogs: [{ name: r.catalog, ...(db ? { databases: db } : {}) }],
  };
}

function PrincipalFields({ value, onChange }: { value: Principal; onChange: (p: Principal) => void }) {
  return (
    <SimpleGrid cols={3} role="group" aria-label="Principal">
      <Select
        label="Principal type"
        value={value.principal_type}
        data={PRINCIPAL_TYPES}
        allowDeselect={false}
        onChange={(v) =>
          onChange({ ...value, principal_type: v ?? 'USER', principal_source: v === 'ROLE' ? 'LOCAL' : 'IAM' })
        }
      />
      <TextInput
        label="Principal name"
        required
        value={value.principal_name}
        onChange={(e) => onChange({ ...value, principal_name: e.currentTarget.value })}
      />
      <Select
        label="Source"
        value={value.principal_source}
        data={['IAM', 'LOCAL', 'SAML', 'LDAP']}
        allowDeselect={false}
        onChange={(v) => onChange({ ...value, principal_source: v ?? 'IAM' })}
      />
    </SimpleGrid>
  );
}

const newPrincipal = (): Principal => ({ principal_name: '', principal_type: 'USER', principal_source: 'IAM' });

function Grants({ instance }: { instance: string }) {
  const keyset = useKeyset();
  const [name, setName] = useState('');
  const [granting, openGrant, closeGrant] = useToggle();
  const [principal, setPrincipal] = useState(newPrincipal());
  const [resource, setResource] = useState<Resource>(emptyResource);
  const [perms, setPerms] = useState<string[]>(['SELECT']);
  const [deny, setDeny] = useState(false);
  const [revoking, setRevoking] = useState<Policy | null>(null);
  const q = useQuery({
    queryKey: ['grants', instance, name, ...keyset.key],
    queryFn: () =>
      api<{ policies: Policy[]; page_info: PageInfo }>(inst(instance, '/policies/show'), {
        query: { limit: 50, principal_name: name || undefined, ...keyset.query },
      }),
  });
  return (
    <Stack>
      <Group align="flex-end">
        <TextInput
          label="Principal name"
          placeholder="all principals"
          value={name}
          onChange={(e) => {
            setName(e.currentTarget.value);
            keyset.reset();
          }}
        />
        <Button onClick={openGrant}>Grant</Button>
      </Group>
      <PagedTable
        query={q}
        label="Grants"
        loadingLabel="Loading grants"
        columns={['Principal', 'Resource', 'Permissions', 'Effect', 'Actions']}
        rows={q.data?.policies}
        rowKey={policyKey}
        cells={(p) => (
          <>
            <Table.Td>
              {p.principal_type} {p.principal_name}
            </Table.Td>
            <Table.Td>
              {p.resource.type} {p.resource_name ?? JSON.stringify(p.resource)}
            </Table.Td>
            <Table.Td>
              {p.permissions.map((x) => (
                <Badge key={x} mr={4} variant="light">
                  {x}
                </Badge>
              ))}
            </Table.Td>
            <Table.Td>{p.effect === false ? <Badge color="red">deny</Badge> : 'allow'}</Table.Td>
            <Table.Td>
              <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRevoking(p)}>
                Revoke
              </Button>
            </Table.Td>
          </>
        )}
        empty="No grants."
        pager={<Pager info={q.data?.page_info} keyset={keyset} label="Grants" />}
      />
      <ActionModal
        opened={granting}
        onClose={closeGrant}
        title="Grant permissions"
        submitLabel="Grant"
        invalidate={[['grants', instance]]}
        submit={() =>
          api(inst(instance, '/policies/grant'), {
            method: 'POST',
            body: {
              principal_list: [principal],
              resource: resourceInfo(resource),
              permissions: perms,
              effect: !deny,
            },
          })
        }
      >
        <PrincipalFields value={principal} onChange={setPrincipal} />
        <ResourcePicker instance={instance} value={resource} onChange={setResource} />
        <MultiSelect label="Permissions" data={PERMISSIONS} value={perms} onChange={setPerms} searchable />
        <Checkbox label="Deny (overrides allows)" checked={deny} onChange={(e) => setDeny(e.currentTarget.checked)} />
      </ActionModal>
      <ActionModal
        opened={revoking !== null}
        onClose={() => setRevoking(null)}
        title="Revoke grant"
        color="red"
        submitLabel="Revoke"
        invalidate={[['grants', instance]]}
        submit={() =>
          api(inst(instance, '/policies/revoke'), {
            method: 'POST',
            body: {
              principal_list: revoking
                ? [
                    {
                      principal_name: revoking.principal_name,
                      principal_type: revoking.principal_type,
                      principal_source: revoking.principal_source,
                    },
                  ]
                : [],
              resource: revoking?.resource,
              permissions: revoking?.permissions,
              effect: revoking?.effect ?? true,
            },
          })
        }
      >
        <Text>
          Revoke {revoking?.permissions.join(', ')} on {revoking?.resource_name} from {revoking?.principal_name}?
        </Text>
      </ActionModal>
    </Stack>
  );
}

function Why({ instance }: { instance: string }) {
  const [principal, setPrincipal] = useState(newPrincipal());
  const [resource, setResource] = useState<Resource>(emptyResource);
  const [action, setAction] = useState('SELECT');
  const [asked, setAsked] = useState<{ principal: Principal; resource: Resource; action: string } | null>(null);
  const check = useQuery({
    queryKey: ['check', instance, asked],
    queryFn:
      asked === null
        ? skipToken
        : () => {
            const r = asked.resource;
            return api<{ check_result: boolean; error_message?: string }[]>(
              inst(instance, '/policies/check-permission'),
              {
                method: 'POST',
                body: {
                  access_request: [
                    {
                      action: asked.action,
                      principal: [asked.principal],
                      resource: {
                        resource_type: r.type,
                        ...(r.type === 'URI' ? { uri: r.uri } : { catalog: r.catalog }),
                        ...(r.database ? { database: r.database } : {}),
                        ...(r.table ? { table: r.table } : {}),
                        ...(r.type === 'FUNC' ? { function: r.func } : {}),
                        ...(r.type === 'COLUMN'
                          ? {
                              columns: r.columns
                                .split(',')
                                .map((c) => c.trim())
                                .filter(Boolean),
                            }
                          : {}),
                      },
                    },
                  ],
                },
              },
            );
          },
  });
  // The grants that decide it: the principal's own, and for a user those of its IAM groups and roles, on the
  // object or anything above it (wildcards included), as the grant list shows them.
  const grants = useQuery({
    queryKey: ['grants', instance, 'why', asked],
    queryFn: asked === null ? skipToken : () => decidingGrants(instance, asked.principal),
  });
  const path = asked ? objectPath(asked.resource) : [];
  const relevant = (grants.data ?? []).filter((p) => covers(p.resource_name ?? '', path));
  const answer = check.data?.[0];
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        setAsked({ principal, resource, action });
      }}
    >
      <Stack>
        <PrincipalFields value={principal} onChange={setPrincipal} />
        <ResourcePicker instance={instance} value={resource} onChange={setResource} />
        <Group align="flex-end">
          <Select
            label="Action"
            value={action}
            data={ACTIONS}
            allowDeselect={false}
            onChange={(v) => setAction(v ?? 'SELECT')}
          />
          <Button type="submit">Check</Button>
        </Group>
        {check.isFetching && <Loading label="Checking" />}
        <ErrorAlert error={check.error} />
        {answer && (
          <Alert
            color={answer.check_result ? 'green' : 'red'}
            role="status"
            title={
              answer.check_result
                ? `${asked?.principal.principal_name} can ${asked?.action}`
                : `${asked?.principal.principal_name} cannot ${asked?.action}`
            }
          >
            {answer.error_message ?? (answer.check_result ? 'A grant below allows it.' : 'No grant allows it.')}
          </Alert>
        )}
        {answer && (
          <Stack gap={4}>
            <Text fw={600}>Grants of this principal that bear on it</Text>
            {grants.isPending ? (
              <Loading label="Loading grants" />
            ) : relevant.length === 0 ? (
              <Text size="sm" c="dimmed">
                None: no grant reaches this object for this principal.
              </Text>
            ) : (
              <List size="sm">
                {relevant.map((p) => (
                  <List.Item key={policyKey(p)}>{policyText(p)}</List.Item>
                ))}
              </List>
            )}
          </Stack>
        )}
      </Stack>
    </form>
  );
}

/** The object's path as grant names spell it: catalog, database, table (or function). */
function objectPath(r: Resource): string[] {
  if (r.type === 'URI') return [r.uri];
  return [r.catalog, r.database, r.type === 'FUNC' ? r.func : r.table].filter(Boolean);
}

/** Whether a grant on `name` (dot-separated, `*` wildcards) reaches the object at `path` or lies above it. */
function covers(name: string, path: string[]): boolean {
  const parts = name.split('.');
  if (parts.length > path.length) return false;
  return parts.every((part, i) =>
    new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(path[i] ?? ''),
  );
}

/** The grants of a principal and, for an IAM user, of its groups and roles (first 100 of each). */
async function decidingGrants(instance: string, p: Principal): Promise<Policy[]> {
  const principals: Principal[] = [p];
  if (p.principal_type === 'USER') {
    const roles = await api<{ roles: { role_name: string }[] }>(
      inst(instance, `/users/${enc(p.principal_name)}/roles`),
      { query: { limit: 100 } },
    ).catch(() => ({ roles: [] }));
    principals.push(
      ...roles.roles.map((r) => ({ principal_name: r.role_name, principal_type: 'ROLE', principal_source: 'LOCAL' })),
    );
    const users = await api<{ users: { id: string }[] }>('/v3/users', { query: { name: p.principal_name } }).catch(
      () => ({ users: [] }),
    );
    const id = users.users[0]?.id;
    if (id) {
      const groups = await api<{ groups: { name: string }[] }>(`/v3/users/${enc(id)}/groups`).catch(() => ({
        groups: [],
      }));
      principals.push(
        ...groups.groups
          .slice(0, 100)
          .map((g) => ({ principal_name: g.name, principal_type: 'GROUP', principal_source: 'IAM' })),
      );
    }
  }
  const pages = await Promise.all(
    principals.map((x) =>
      api<{ policies: Policy[] }>(inst(instance, '/policies/show'), {
        query: { limit: 100, principal_name: x.principal_name, principal_type: x.principal_type },
      }),
    ),
  );
  return pages.flatMap((page) => page.policies);
}

interface Role {
  role_name: string;
  description?: string;
  create_time?: string;
}

function Roles({ instance }: { instance: string }) {
  const keyset = useKeyset();
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, openCreate, closeCreate] = useToggle();
  const [f, setF] = useState({ name: '', description: '' });
  const q = useQuery({
    queryKey: ['roles', instance, ...keyset.key],
    queryFn: () =>
      api<{ roles: Role[]; page_info: PageInfo }>(inst(instance, '/roles'), { query: { limit: 50, ...keyset.query } }),
  });
  return (
    <Group align="flex-start" grow>
      <Stack>
        <Group>
          <Button onClick={openCreate}>Create role</Button>
        </Group>
        <PagedTable
          query={q}
          label="Roles"
          loadingLabel="Loading roles"
          highlightOnHover
          columns={['Role', 'Description']}
          rows={q.data?.roles}
          rowKey={(r) => r.role_name}
          rowProps={(r) => ({ bg: r.role_name === selected ? 'blue.0' : undefined })}
          cells={(r) => (
            <>
              <Table.Td>
                <Button variant="subtle" size="compact-sm" onClick={() => setSelected(r.role_name)}>
                  {r.role_name}
                </Button>
              </Table.Td>
              <Table.Td>{r.description}</Table.Td>
            </>
          )}
          pager={<Pager info={q.data?.page_info} keyset={keyset} label="Roles" />}
        />
      </Stack>
      {selected ? (
        <RoleMembers instance={instance} role={selected} />
      ) : (
        <Text c="dimmed">Pick a role to see its members.</Text>
      )}
      <ActionModal
        opened={creating}
        onClose={closeCreate}
        title="Create role"
        invalidate={[['roles', instance]]}
        submit={() =>
          api(inst(instance, '/roles'), {
            method: 'POST',
            body: { role_name: f.name, description: f.description || undefined },
          })
        }
      >
        <TextInput
          label="Role name"
          required
          value={f.name}
          onChange={(e) => setF({ ...f, name: e.currentTarget.value })}
        />
        <TextInput
          label="Description"
          value={f.description}
          onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
        />
      </ActionModal>
    </Group>
  );
}

function RoleMembers({ instance, role }: { instance: string; role: string }) {
  const keyset = useKeyset();
  const [adding, openAdd, closeAdd] = useToggle();
  const [p, setP] = useState(newPrincipal());
  const path = `/roles/${enc(role)}/principals`;
  const q = useQuery({
    queryKey: ['role-members', instance, role, ...keyset.key],
    queryFn: () =>
      api<{ principals: Principal[]; page_info: PageInfo }>(inst(instance, path), {
        query: { limit: 50, ...keyset.query },
      }),
  });
  const revoke = (x: Principal) =>
    api(inst(instance, `/roles/${enc(role)}/revoke-principals`), { method: 'POST', body: [x] }).then(() => q.refetch());
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h4">
          Members of {role}
        </Title>
        <Button size="xs" onClick={openAdd}>
          Add member
        </Button>
      </Group>
      <PagedTable
        query={q}
        label={`Members of ${role}`}
        loadingLabel="Loading members"
        striped={false}
        columns={['Member', 'Type', 'Source', 'Actions']}
        rows={q.data?.principals}
        rowKey={(m) => `${m.principal_type}:${m.principal_name}`}
        cells={(m) => (
          <>
            <Table.Td>{m.principal_name}</Table.Td>
            <Table.Td>{m.principal_type}</Table.Td>
            <Table.Td>{m.principal_source}</Table.Td>
            <Table.Td>
              <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke(m)}>
                Remove
              </Button>
            </Table.Td>
          </>
        )}
        pager={<Pager info={q.data?.page_info} keyset={keyset} label="Members" />}
      />
      <ActionModal
        opened={adding}
        onClose={closeAdd}
        title={`Add a member to ${role}`}
        submitLabel="Add"
        invalidate={[['role-members', instance, role]]}
        submit={() => api(inst(instance, `/roles/${enc(role)}/grant-principals`), { method: 'POST', body: [p] })}
      >
        <PrincipalFields value={p} onChange={setP} />
      </ActionModal>
    </Stack>
  );
}

function UsersAndGroups({ instance }: { instance: string }) {
  const users = useKeyset();
  const groups = useKeyset();
  const u = useQuery({
    queryKey: ['lf-users', instance, ...users.key],
    queryFn: () =>
      api<{ users: { user_id: string; user_name: string; user_source: string }[]; page_info: PageInfo }>(
        inst(instance, '/users'),
        { query: { limit: 50, ...users.query } },
      ),
  });
  const g = useQuery({
    queryKey: ['lf-groups', instance, ...groups.key],
    queryFn: () =>
      api<{ user_group: { group_id: string; group_name: string; group_source: string }[]; page_info: PageInfo }>(
        inst(instance, '/groups'),
        { query: { limit: 50, ...groups.query } },
      ),
  });
  return (
    <SimpleGrid cols={2}>
      <Stack>
        <Title order={2} size="h4">
          IAM users
        </Title>
        <PagedTable
          query={u}
          label="Users"
          loadingLabel="Loading users"
          striped={false}
          columns={['User', 'Source']}
          rows={u.data?.users}
          rowKey={(x) => x.user_id}
          cells={(x) => (
            <>
              <Table.Td>{x.user_name}</Table.Td>
              <Table.Td>{x.user_source}</Table.Td>
            </>
          )}
          pager={<Pager info={u.data?.page_info} keyset={users} label="Users" />}
        />
      </Stack>
      <Stack>
        <Title order={2} size="h4">
          IAM groups
        </Title>
        <PagedTable
          query={g}
          label="Groups"
          loadingLabel="Loading groups"
          striped={false}
          columns={['Group', 'Source']}
          rows={g.data?.user_group}
          rowKey={(x) => x.group_id}
          cells={(x) => (
            <>
              <Table.Td>{x.group_name}</Table.Td>
              <Table.Td>{x.group_source}</Table.Td>
            </>
          )}
          pager={<Pager info={g.data?.page_info} keyset={groups} label="Groups" />}
        />
      </Stack>
    </SimpleGrid>
  );
}
