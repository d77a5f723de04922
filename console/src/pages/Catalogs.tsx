import {
  Badge,
  Box,
  Button,
  Group,
  NavLink,
  ScrollArea,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, enc, inst } from '../api';
import type { Catalog, Column, Database, PageInfo, Table as TableDef } from '../types';
import {
  ActionModal,
  ErrorAlert,
  formatProps,
  KeyValues,
  Loading,
  PagedTable,
  Pager,
  parseProps,
  useKeyset,
  useToggle,
} from '../ui';

const TREE_PAGE = 50;

/** `*term*` as the API's Hive pattern; the API refuses characters outside its pattern alphabet. */
const pattern = (q: string) => (q.trim() ? `*${q.trim()}*` : undefined);

export default function Catalogs() {
  const { instance = 'default', catalog, database } = useParams();
  const [search, setSearch] = useState('');
  const catalogs = useQuery({
    queryKey: ['catalogs', instance],
    queryFn: () => api<Catalog[]>(inst(instance, '/catalogs')),
  });
  const [creating, openCreate, closeCreate] = useToggle();
  const shown = (catalogs.data ?? []).filter(
    (c) => !search || c.catalog_name.includes(search.toLowerCase()) || c.catalog_name === catalog,
  );

  return (
    <Group align="flex-start" wrap="nowrap" gap="md">
      <Box w={300} miw={260} component="section" aria-label="Catalog tree">
        <Stack gap="xs">
          <TextInput
            label="Search"
            placeholder="catalog or database name"
            value={search}
            onChange={(e) => setSearch(e.currentTarget.value)}
            description="Filters catalogs here and databases on the server"
          />
          <ScrollArea.Autosize mah="calc(100vh - 200px)">
            {catalogs.isPending && <Loading label="Loading catalogs" />}
            <ErrorAlert error={catalogs.error} />
            {shown.map((c) => (
              <NavLink
                key={c.catalog_name}
                label={c.catalog_name}
                component={Link}
                to={`/i/${instance}/catalogs/${c.catalog_name}`}
                active={c.catalog_name === catalog && !database}
                opened={c.catalog_name === catalog || Boolean(search)}
                childrenOffset={16}
              >
                {(c.catalog_name === catalog || search) && (
                  <DatabaseTree instance={instance} catalog={c.catalog_name} selected={database} search={search} />
                )}
              </NavLink>
            ))}
          </ScrollArea.Autosize>
          <Button variant="light" onClick={openCreate}>
            Create catalog
          </Button>
        </Stack>
      </Box>
      <Box style={{ flex: 1, minWidth: 0 }} component="section" aria-label="Details">
        {!catalog && <CatalogList catalogs={catalogs.data} instance={instance} />}
        {catalog && !database && <CatalogDetail instance={instance} catalog={catalog} />}
        {catalog && database && <DatabaseDetail instance={instance} catalog={catalog} database={database} />}
      </Box>
      <CatalogDialog instance={instance} opened={creating} onClose={closeCreate} />
    </Group>
  );
}

function DatabaseTree({
  instance,
  catalog,
  selected,
  search,
}: {
  instance: string;
  catalog: string;
  selected?: string;
  search: string;
}) {
  const q = useInfiniteQuery({
    queryKey: ['databases', instance, catalog, 'tree', search],
    queryFn: ({ pageParam }) =>
      api<{ databases: Database[]; page_info: PageInfo }>(inst(instance, `/catalogs/${enc(catalog)}/databases`), {
        query: { limit: TREE_PAGE, marker: pageParam, database_name_pattern: pattern(search) },
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.page_info?.next_marker,
  });
  if (q.isPending) return <Loading label="Loading databases" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  const dbs = q.data.pages.flatMap((p) => p.databases);
  return (
    <>
      {dbs.length === 0 && (
        <Text size="xs" c="dimmed" pl="sm">
          no databases
        </Text>
      )}
      {dbs.map((d) => (
        <NavLink
          key={d.database_name}
          label={d.database_name}
          component={Link}
          childrenOffset={16}
          to={`/i/${instance}/catalogs/${catalog}/${d.database_name}`}
          active={d.database_name === selected}
          opened={d.database_name === selected}
        >
          {d.database_name === selected && (
            <TableTree instance={instance} catalog={catalog} database={d.database_name} />
          )}
        </NavLink>
      ))}
      {q.hasNextPage && (
        <Button size="compact-xs" variant="subtle" loading={q.isFetchingNextPage} onClick={() => q.fetchNextPage()}>
          More databases
        </Button>
      )}
    </>
  );
}

function CatalogList({ catalogs, instance }: { catalogs?: Catalog[]; instance: string }) {
  return (
    <Stack>
      <Title order={1} size="h2">
        Catalogs
      </Title>
      <Table striped withTableBorder aria-label="Catalogs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Owner</Table.Th>
            <Table.Th>Location</Table.Th>
            <Table.Th>Description</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(catalogs ?? []).map((c) => (
            <Table.Tr key={c.catalog_name}>
              <Table.Td>
                <Link to={`/i/${instance}/catalogs/${c.catalog_name}`}>{c.catalog_name}</Link>
              </Table.Td>
              <Table.Td>{c.owner}</Table.Td>
              <Table.Td>{c.location}</Table.Td>
              <Table.Td>{c.description}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function CatalogDialog({
  instance,
  opened,
  onClose,
  existing,
}: {
  instance: string;
  opened: boolean;
  onClose: () => void;
  existing?: Catalog;
}) {
  const navigate = useNavigate();
  const [f, setF] = useState({
    name: existing?.catalog_name ?? '',
    description: existing?.description ?? '',
    location: existing?.location ?? '',
  });
  return (
    <ActionModal
      opened={opened}
      onClose={onClose}
      title={existing ? `Edit catalog ${existing.catalog_name}` : 'Create catalog'}
      invalidate={[['catalogs', instance]]}
      submit={() =>
        existing
          ? api(inst(instance, `/catalogs/${enc(existing.catalog_name)}`), {
              method: 'PUT',
              body: {
                catalog_name: f.name,
                description: f.description,
                location: f.location || undefined,
              },
            })
          : api(inst(instance, '/catalogs'), {
              method: 'POST',
              body: {
                catalog_name: f.name,
                description: f.description || undefined,
                location: f.location || undefined,
              },
            })
      }
      onDone={() => navigate(`/i/${instance}/catalogs/${f.name.toLowerCase()}`)}
    >
      <TextInput
        label="Catalog name"
        required
        value={f.name}
        onChange={(e) => setF({ ...f, name: e.currentTarget.value })}
      />
      <TextInput
        label="Description"
        value={f.description}
        onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
      />
      <TextInput
        label="Location"
        placeholder="obs://bucket/path (empty: the default)"
        value={f.location}
        onChange={(e) => setF({ ...f, location: e.currentTarget.value })}
      />
    </ActionModal>
  );
}

function DeleteDialog({
  opened,
  onClose,
  what,
  run,
  invalidate,
  onDone,
}: {
  opened: boolean;
  onClose: () => void;
  what: string;
  run: () => Promise<unknown>;
  invalidate: unknown[][];
  onDone: () => void;
}) {
  return (
    <ActionModal
      opened={opened}
      onClose={onClose}
      title={`Delete ${what}`}
      submit={run}
      invalidate={invalidate}
      submitLabel="Delete"
      color="red"
      onDone={onDone}
    >
      <Text>Delete {what}? This cannot be undone.</Text>
    </ActionModal>
  );
}

function CatalogDetail({ instance, catalog }: { instance: string; catalog: string }) {
  const navigate = useNavigate();
  const q = useQuery({
    queryKey: ['catalog', instance, catalog],
    queryFn: () => api<Catalog>(inst(instance, `/catalogs/${enc(catalog)}`)),
  });
  const [editing, openEdit, closeEdit] = useToggle();
  const [deleting, openDelete, closeDelete] = useToggle();
  const [creatingDb, openDb, closeDb] = useToggle();
  if (q.isPending) return <Loading label="Loading catalog" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Catalog {catalog}
        </Title>
        <Group>
          <Button onClick={openDb}>Create database</Button>
          <Button variant="default" onClick={openEdit}>
            Edit
          </Button>
          <Button variant="outline" color="red" onClick={openDelete}>
            Delete
          </Button>
        </Group>
      </Group>
      <KeyValues label="Catalog properties" data={q.data as unknown as Record<string, unknown>} />
      {editing && <CatalogDialog instance={instance} opened onClose={closeEdit} existing={q.data} />}
      <DeleteDialog
        opened={deleting}
        onClose={closeDelete}
        what={`catalog ${catalog}`}
        run={() => api(inst(instance, `/catalogs/${enc(catalog)}`), { method: 'DELETE' })}
        invalidate={[['catalogs', instance]]}
        onDone={() => navigate(`/i/${instance}/catalogs`)}
      />
      {creatingDb && <DatabaseDialog instance={instance} catalog={catalog} opened onClose={closeDb} />}
    </Stack>
  );
}

function DatabaseDialog({
  instance,
  catalog,
  opened,
  onClose,
  existing,
}: {
  instance: string;
  catalog: string;
  opened: boolean;
  onClose: () => void;
  existing?: Database & {
    parameters?: Record<string, string>;
  };
}) {
  const navigate = useNavigate();
  const [f, setF] = useState({
    name: existing?.database_name ?? '',
    description: existing?.description ?? '',
    location: existing?.location ?? '',
    parameters: formatProps(existing?.parameters),
  });
  const body = () => ({
    database_name: f.name,
    description: f.description || undefined,
    location: f.location || undefined,
    parameters: parseProps(f.parameters),
  });
  return (
    <ActionModal
      opened={opened}
      onClose={onClose}
      title={existing ? `Edit database ${existing.database_name}` : `Create database in ${catalog}`}
      invalidate={[
        ['databases', instance, catalog],
        ['database', instance, catalog],
      ]}
      submit={() =>
        existing
          ? api(inst(instance, `/catalogs/${enc(catalog)}/databases/${enc(existing.database_name)}`), {
              method: 'PUT',
              body: body(),
            })
          : api(inst(instance, `/catalogs/${enc(catalog)}/databases`), { method: 'POST', body: body() })
      }
      onDone={() => navigate(`/i/${instance}/catalogs/${catalog}/${f.name.toLowerCase()}`)}
    >
      <TextInput
        label="Database name"
        required
        value={f.name}
        onChange={(e) => setF({ ...f, name: e.currentTarget.value })}
      />
      <TextInput
        label="Description"
        value={f.description}
        onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
      />
      <TextInput
        label="Location"
        placeholder="empty: under the catalog"
        value={f.location}
        onChange={(e) => setF({ ...f, location: e.currentTarget.value })}
      />
      <Textarea
        label="Parameters"
        description="key=value, one a line"
        value={f.parameters}
        autosize
        minRows={2}
        onChange={(e) => setF({ ...f, parameters: e.currentTarget.value })}
      />
    </ActionModal>
  );
}

function DatabaseDetail({ instance, catalog, database }: { instance: string; catalog: string; database: string }) {
  const navigate = useNavigate();
  const q = useQuery({
    queryKey: ['database', instance, catalog, database],
    queryFn: () =>
      api<Database & { parameters?: Record<string, string> }>(
        inst(instance, `/catalogs/${enc(catalog)}/databases/${enc(database)}`),
      ),
  });
  const [editing, openEdit, closeEdit] = useToggle();
  const [deleting, openDelete, closeDelete] = useToggle();
  const [cascade, setCascade] = useState(false);
  if (q.isPending) return <Loading label="Loading database" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Database {catalog}.{database}
        </Title>
        <Group>
          <Button variant="default" onClick={openEdit}>
            Edit
          </Button>
          <Button
            variant="outline"
            color="red"
            onClick={() => {
              setCascade(false);
              openDelete();
            }}
          >
            Delete
          </Button>
        </Group>
      </Group>
      <Text size="sm" c="dimmed">
        {q.data.description} {q.data.location}
      </Text>
      <Tabs defaultValue="tables" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="tables">Tables and views</Tabs.Tab>
          <Tabs.Tab value="functions">Functions</Tabs.Tab>
          <Tabs.Tab value="properties">Properties</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="tables" pt="sm">
          <TableList instance={instance} catalog={catalog} database={database} />
        </Tabs.Panel>
        <Tabs.Panel value="functions" pt="sm">
          <FunctionList instance={instance} catalog={catalog} database={database} />
        </Tabs.Panel>
        <Tabs.Panel value="properties" pt="sm">
          <KeyValues label="Database properties" data={q.data as unknown as Record<string, unknown>} />
        </Tabs.Panel>
      </Tabs>
      {editing && <DatabaseDialog instance={instance} catalog={catalog} opened onClose={closeEdit} existing={q.data} />}
      <ActionModal
        opened={deleting}
        onClose={closeDelete}
        title={`Delete database ${database}`}
        color="red"
        submitLabel="Delete"
        invalidate={[['databases', instance, catalog]]}
        submit={() =>
          api(inst(instance, `/catalogs/${enc(catalog)}/databases/${enc(database)}`), {
            method: 'DELETE',
            query: { cascade },
          })
        }
        onDone={() => navigate(`/i/${instance}/catalogs/${catalog}`)}
      >
        <Text>Delete database {database}?</Text>
        <label>
          <input type="checkbox" checked={cascade} onChange={(e) => setCascade(e.currentTarget.checked)} /> Also delete
          its tables, functions and datasets (cascade)
        </label>
      </ActionModal>
    </Stack>
  );
}

const TABLE_PAGE = 50;

/** One page of a database's tables; the tree and the list share the first page (same key: one request). */
function tablesPage(
  instance: string,
  catalog: string,
  database: string,
  search: string,
  type: string | null,
  keyset: { key: readonly unknown[]; query: Record<string, unknown> },
) {
  return {
    queryKey: ['tables', instance, catalog, database, search, type, ...keyset.key],
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      api<{ tables: TableDef[]; page_info: PageInfo }>(
        inst(instance, `/catalogs/${enc(catalog)}/databases/${enc(database)}/tables`),
        {
          signal,
          query: {
            limit: TABLE_PAGE,
            table_name_pattern: pattern(search),
            table_type: type ?? undefined,
            ...keyset.query,
            include_fields: 'table_name,table_type,table_format,owner,comments,create_time',
          },
        },
      ),
  };
}
const FIRST_PAGE = { key: ['', false] as const, query: {} };

function TableTree({ instance, catalog, database }: { instance: string; catalog: string; database: string }) {
  const q = useQuery(tablesPage(instance, catalog, database, '', null, FIRST_PAGE));
  if (q.isPending) return <Loading label="Loading tables" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  return (
    <>
      {q.data.tables.map((t) => (
        <NavLink
          key={t.table_name}
          component={Link}
          label={t.table_name}
          description={t.table_type === 'VIRTUAL_VIEW' ? 'view' : undefined}
          to={`/i/${instance}/catalogs/${catalog}/${database}/tables/${t.table_name}`}
        />
      ))}
      {q.data.page_info?.next_marker && (
        <Text size="xs" pl="sm">
          more in the list →
        </Text>
      )}
    </>
  );
}

function TableList({ instance, catalog, database }: { instance: string; catalog: string; database: string }) {
  const [search, setSearch] = useState('');
  const [type, setType] = useState<string | null>(null);
  const keyset = useKeyset();
  const [creating, openCreate, closeCreate] = useToggle();
  const q = useQuery({
    ...tablesPage(instance, catalog, database, search, type, keyset),
    placeholderData: (prev) => prev,
  });
  return (
    <Stack>
      <Group align="flex-end">
        <TextInput
          label="Search tables"
          value={search}
          placeholder="name contains"
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            keyset.reset();
          }}
        />
        <Select
          label="Type"
          clearable
          placeholder="any"
          value={type}
          w={200}
          onChange={(v) => {
            setType(v);
            keyset.reset();
          }}
          data={['MANAGED_TABLE', 'EXTERNAL_TABLE', 'VIRTUAL_VIEW', 'MATERIALIZED_VIEW']}
        />
        <Button onClick={openCreate}>Create table</Button>
      </Group>
      <PagedTable
        query={q}
        label="Tables"
        loadingLabel="Loading tables"
        busy={q.isFetching}
        columns={['Name', 'Type', 'Format', 'Owner', 'Comment']}
        rows={q.data?.tables}
        rowKey={(t) => t.table_name}
        cells={(t) => (
          <>
            <Table.Td>
              <Link to={`/i/${instance}/catalogs/${catalog}/${database}/tables/${t.table_name}`}>{t.table_name}</Link>
            </Table.Td>
            <Table.Td>
              <Badge variant="light" color={t.table_type === 'VIRTUAL_VIEW' ? 'grape' : 'blue'}>
                {t.table_type}
              </Badge>
            </Table.Td>
            <Table.Td>{t.table_format}</Table.Td>
            <Table.Td>{t.owner}</Table.Td>
            <Table.Td>{t.comments}</Table.Td>
          </>
        )}
        empty="No tables here."
        pager={<Pager info={q.data?.page_info} keyset={keyset} label="Tables" />}
      />
      {creating && (
        <TableDialog instance={instance} catalog={catalog} database={database} opened onClose={closeCreate} />
      )}
    </Stack>
  );
}

/** "name type [comment]" per line into columns. */
export function parseColumns(text: string): Column[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name = '', type = '', ...rest] = l.split(/\s+/);
      return { column_name: name, column_type: type, ...(rest.length ? { comment: rest.join(' ') } : {}) };
    });
}
export const formatColumns = (cols?: Column[]) =>
  (cols ?? []).map((c) => `${c.column_name} ${c.column_type}${c.comment ? ` ${c.comment}` : ''}`).join('\n');

const HIVE_TEXT = {
  input_format: 'org.apache.hadoop.mapred.TextInputFormat',
  output_format: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serde_info: { serialization_library: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe' },
};
const PARQUET = {
  input_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  output_format: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serde_info: { serialization_library: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};

export function TableDialog({
  instance,
  catalog,
  database,
  opened,
  onClose,
  existing,
}: {
  instance: string;
  catalog: string;
  database: string;
  opened: boolean;
  onClose: () => void;
  existing?: TableDef;
}) {
  const navigate = useNavigate();
  const [f, setF] = useState({
    name: existing?.table_name ?? '',
    type: existing?.table_type ?? 'MANAGED_TABLE',
    storage: 'parquet',
    columns: formatColumns(existing?.storage_descriptor.columns),
    partitions: formatColumns(existing?.partition_keys),
    comment: existing?.comments ?? '',
    location: existing?.storage_descriptor.location ?? '',
    view: existing?.view_original_text ?? '',
    parameters: formatProps(existing?.parameters),
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  const isView = f.type === 'VIRTUAL_VIEW';
  const submit = () => {
    const sd = {
      ...(existing?.storage_descriptor ?? (isView ? {} : f.storage === 'text' ? HIVE_TEXT : PARQUET)),
      columns: parseColumns(f.columns),
      location: f.location || undefined,
    };
    const table = {
      table_name: f.name,
      table_type: f.type,
      owner_type: 'USER',
      comments: f.comment || undefined,
      partition_keys: parseColumns(f.partitions),
      storage_descriptor: sd,
      parameters: parseProps(f.parameters),
      ...(isView ? { view_original_text: f.view, view_expanded_text: f.view } : {}),
    };
    const base = `/catalogs/${enc(catalog)}/databases/${enc(database)}/tables`;
    return existing
      ? api(inst(instance, `${base}/${enc(existing.table_name)}`), {
          method: 'PUT',
          body: { table, version_id: existing.version_id },
        })
      : api(inst(instance, base), { method: 'POST', body: table });
  };
  return (
    <ActionModal
      opened={opened}
      onClose={onClose}
      submit={submit}
      title={existing ? `Edit table ${existing.table_name}` : `Create table in ${catalog}.${database}`}
      invalidate={[
        ['tables', instance, catalog, database],
        ['table', instance, catalog, database],
      ]}
      onDone={() => navigate(`/i/${instance}/catalogs/${catalog}/${database}/tables/${f.name.toLowerCase()}`)}
    >
      <Group grow>
        <TextInput label="Table name" required value={f.name} onChange={set('name')} />
        <Select
          label="Table type"
          value={f.type}
          allowDeselect={false}
          onChange={(v) => v && setF({ ...f, type: v })}
          data={['MANAGED_TABLE', 'EXTERNAL_TABLE', 'VIRTUAL_VIEW']}
        />
        {!existing && !isView && (
          <Select
            label="Storage format"
            value={f.storage}
            allowDeselect={false}
            onChange={(v) => v && setF({ ...f, storage: v })}
            data={[
              { value: 'parquet', label: 'Parquet' },
              { value: 'text', label: 'Text' },
            ]}
          />
        )}
      </Group>
      <Textarea
        label="Columns"
        description="name type [comment], one a line"
        required
        autosize
        minRows={3}
        value={f.columns}
        onChange={set('columns')}
        styles={{ input: { fontFamily: 'monospace' } }}
      />
      {!isView && (
        <Textarea
          label="Partition keys"
          description="name type, one a line"
          autosize
          minRows={1}
          value={f.partitions}
          onChange={set('partitions')}
          styles={{ input: { fontFamily: 'monospace' } }}
        />
      )}
      {isView && <Textarea label="View text" required autosize minRows={2} value={f.view} onChange={set('view')} />}
      {!isView && (
        <TextInput
          label="Location"
          placeholder="empty: under the database"
          value={f.location}
          onChange={set('location')}
        />
      )}
      <TextInput label="Comment" value={f.comment} onChange={set('comment')} />
      <Textarea
        label="Properties"
        description="key=value, one a line"
        autosize
        minRows={1}
        value={f.parameters}
        onChange={set('parameters')}
      />
    </ActionModal>
  );
}

function FunctionList({ instance, catalog, database }: { instance: string; catalog: string; database: string }) {
  const keyset = useKeyset();
  const [creating, openCreate, closeCreate] = useToggle();
  const [f, setF] = useState({ name: '', className: '', uris: '' });
  const base = `/catalogs/${enc(catalog)}/databases/${enc(database)}/functions`;
  const q = useQuery({
    queryKey: ['functions', instance, catalog, database, ...keyset.key],
    queryFn: () =>
      api<{
        functions: {
          function_name: string;
          class_name: string;
          owner: string;
          resource_uris: { type: string; uri: string }[];
        }[];
        page_info: PageInfo;
      }>(inst(instance, base), { query: { limit: TABLE_PAGE, ...keyset.query } }),
  });
  const [dropping, setDropping] = useState<string | null>(null);
  return (
    <Stack>
      <Group>
        <Button onClick={openCreate}>Create function</Button>
      </Group>
      <PagedTable
        query={q}
        label="Functions"
        loadingLabel="Loading functions"
        columns={['Name', 'Class', 'Resources', 'Owner', 'Actions']}
        rows={q.data?.functions}
        rowKey={(fn) => fn.function_name}
        cells={(fn) => (
          <>
            <Table.Td>{fn.function_name}</Table.Td>
            <Table.Td>{fn.class_name}</Table.Td>
            <Table.Td>{fn.resource_uris.map((r) => `${r.type} ${r.uri}`).join(', ')}</Table.Td>
            <Table.Td>{fn.owner}</Table.Td>
            <Table.Td>
              <Button size="compact-xs" color="red" variant="subtle" onClick={() => setDropping(fn.function_name)}>
                Delete {fn.function_name}
              </Button>
            </Table.Td>
          </>
        )}
        pager={<Pager info={q.data?.page_info} keyset={keyset} label="Functions" />}
      />
      <ActionModal
        opened={creating}
        onClose={closeCreate}
        title="Create function"
        invalidate={[['functions', instance, catalog, database]]}
        submit={() =>
          api(inst(instance, base), {
            method: 'POST',
            body: {
              function_name: f.name,
              class_name: f.className,
              function_type: 'JAVA',
              owner_type: 'USER',
              resource_uris: f.uris
                .split('\n')
                .map((l) => l.trim())
                .filter(Boolean)
                .map((l) => {
                  const [type = 'JAR', uri = ''] = l.split(/\s+/);
                  return { type, uri };
                }),
            },
          })
        }
      >
        <TextInput
          label="Function name"
          required
          value={f.name}
          onChange={(e) => setF({ ...f, name: e.currentTarget.value })}
        />
        <TextInput
          label="Class name"
          required
          value={f.className}
          onChange={(e) => setF({ ...f, className: e.currentTarget.value })}
        />
        <Textarea
          label="Resources"
          description="JAR|FILE|ARCHIVE uri, one a line"
          value={f.uris}
          onChange={(e) => setF({ ...f, uris: e.currentTarget.value })}
        />
      </ActionModal>
      <ActionModal
        opened={dropping !== null}
        onClose={() => setDropping(null)}
        title={`Delete function ${dropping}`}
        color="red"
        submitLabel="Delete"
        invalidate={[['functions', instance, catalog, database]]}
        submit={() => api(inst(instance, `${base}/${enc(dropping ?? '')}`), { method: 'DELETE' })}
      >
        <Text>Delete function {dropping}?</Text>
      </ActionModal>
    </Stack>
  );
}
