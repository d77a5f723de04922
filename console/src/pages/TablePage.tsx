import {
  Alert,
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Code,
  CopyButton,
  Group,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api, enc, inst } from '../api';
import type { PageInfo, Partition, Table as TableDef } from '../types';
import { ActionModal, ErrorAlert, KeyValues, Loading, Pager, useKeyset, useToggle, when } from '../ui';
import { TableDialog } from './Catalogs';

export default function TablePage() {
  const { instance = 'default', catalog = '', database = '', table = '' } = useParams();
  const navigate = useNavigate();
  const path = `/catalogs/${enc(catalog)}/databases/${enc(database)}/tables/${enc(table)}`;
  const q = useQuery({
    queryKey: ['table', instance, catalog, database, table],
    queryFn: () => api<TableDef>(inst(instance, path)),
  });
  const [editing, openEdit, closeEdit] = useToggle();
  const [deleting, openDelete, closeDelete] = useToggle();
  const crumbs = (
    <Breadcrumbs aria-label="Location">
      <Anchor component={Link} to={`/i/${instance}/catalogs/${catalog}`}>
        {catalog}
      </Anchor>
      <Anchor component={Link} to={`/i/${instance}/catalogs/${catalog}/${database}`}>
        {database}
      </Anchor>
      <Text>{table}</Text>
    </Breadcrumbs>
  );
  if (q.isPending)
    return (
      <Stack>
        {crumbs}
        <Loading label="Loading table" />
      </Stack>
    );
  if (q.error)
    return (
      <Stack>
        {crumbs}
        <ErrorAlert error={q.error} />
      </Stack>
    );
  const t = q.data;
  const partitioned = (t.partition_keys ?? []).length > 0;
  const iceberg = t.table_format === 'ICEBERG' || t.parameters?.table_type?.toUpperCase() === 'ICEBERG';
  return (
    <Stack>
      {crumbs}
      <Group justify="space-between">
        <Group>
          <Title order={1} size="h2">
            Table {table}
          </Title>
          <Badge variant="light">{t.table_type}</Badge>
          {t.table_format && <Badge variant="outline">{t.table_format}</Badge>}
        </Group>
        <Group>
          <Button variant="default" onClick={openEdit}>
            Edit
          </Button>
          <Button variant="outline" color="red" onClick={openDelete}>
            Drop table
          </Button>
        </Group>
      </Group>
      {t.comments && <Text>{t.comments}</Text>}
      <Tabs defaultValue="columns" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="columns">Columns</Tabs.Tab>
          {partitioned && <Tabs.Tab value="partitions">Partitions</Tabs.Tab>}
          <Tabs.Tab value="statistics">Statistics</Tabs.Tab>
          <Tabs.Tab value="details">Properties and storage</Tabs.Tab>
          <Tabs.Tab value="constraints">Constraints</Tabs.Tab>
          <Tabs.Tab value="history">Schema history</Tabs.Tab>
          {iceberg && <Tabs.Tab value="iceberg">Iceberg</Tabs.Tab>}
          <Tabs.Tab value="ddl">DDL</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="columns" pt="sm">
          <Columns t={t} />
        </Tabs.Panel>
        {partitioned && (
          <Tabs.Panel value="partitions" pt="sm">
            <Partitions instance={instance} path={path} t={t} />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="statistics" pt="sm">
          <Statistics instance={instance} path={path} t={t} />
        </Tabs.Panel>
        <Tabs.Panel value="details" pt="sm">
          <Stack>
            <Title order={2} size="h4">
              Properties
            </Title>
            <KeyValues label="Table properties" data={t.parameters} />
            <Title order={2} size="h4">
              Storage
            </Title>
            <KeyValues
              label="Storage"
              data={{
                location: t.storage_descriptor.location,
                input_format: t.storage_descriptor.input_format,
                output_format: t.storage_descriptor.output_format,
                serde: t.storage_descriptor.serde_info?.serialization_library,
                compressed: t.storage_descriptor.compressed,
                buckets: t.storage_descriptor.number_of_buckets,
                bucket_columns: t.storage_descriptor.bucket_columns,
                owner: t.owner,
                created: when(t.create_time),
                version_id: t.version_id,
              }}
            />
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="constraints" pt="sm">
          <Constraints instance={instance} path={path} />
        </Tabs.Panel>
        <Tabs.Panel value="history" pt="sm">
          <SchemaHistory instance={instance} path={path} />
        </Tabs.Panel>
        {iceberg && (
          <Tabs.Panel value="iceberg" pt="sm">
            <Iceberg instance={instance} catalog={catalog} database={database} table={table} />
          </Tabs.Panel>
        )}
        <Tabs.Panel value="ddl" pt="sm">
          <Ddl t={t} catalog={catalog} database={database} />
        </Tabs.Panel>
      </Tabs>
      {editing && (
        <TableDialog
          instance={instance}
          catalog={catalog}
          database={database}
          opened
          onClose={closeEdit}
          existing={t}
        />
      )}
      <ActionModal
        opened={deleting}
        onClose={closeDelete}
        title={`Drop table ${table}`}
        color="red"
        submitLabel="Drop"
        invalidate={[['tables', instance, catalog, database]]}
        submit={() => api(inst(instance, path), { method: 'DELETE' })}
        onDone={() => navigate(`/i/${instance}/catalogs/${catalog}/${database}`)}
      >
        <Text>
          Drop table {catalog}.{database}.{table}?
        </Text>
      </ActionModal>
    </Stack>
  );
}

function Columns({ t }: { t: TableDef }) {
  const rows = [
    ...t.storage_descriptor.columns.map((c) => ({ ...c, key: false })),
    ...(t.partition_keys ?? []).map((c) => ({ ...c, key: true })),
  ];
  return (
    <Table striped withTableBorder aria-label="Columns">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>#</Table.Th>
          <Table.Th>Name</Table.Th>
          <Table.Th>Type</Table.Th>
          <Table.Th>Comment</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((c, i) => (
          <Table.Tr key={c.column_name}>
            <Table.Td>{i + 1}</Table.Td>
            <Table.Td>
              {c.column_name}{' '}
              {c.key && (
                <Badge size="sm" color="orange" variant="light">
                  partition key
                </Badge>
              )}
            </Table.Td>
            <Table.Td>
              <Code>{c.column_type}</Code>
            </Table.Td>
            <Table.Td>{c.comment}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

const PARTITION_PAGE = 50;

function Partitions({ instance, path, t }: { instance: string; path: string; t: TableDef }) {
  const [draft, setDraft] = useState('');
  const [filter, setFilter] = useState('');
  const keyset = useKeyset();
  const [adding, openAdd, closeAdd] = useToggle();
  const [values, setValues] = useState('');
  const keys = t.partition_keys ?? [];
  const q = useQuery({
    queryKey: ['partitions', instance, path, filter, ...keyset.key],
    queryFn: ({ signal }) =>
      api<{ partitions: Partition[]; page_info: PageInfo }>(inst(instance, `${path}/partitions`), {
        signal,
        query: { limit: PARTITION_PAGE, filter: filter || undefined, ...keyset.query },
      }),
    placeholderData: (prev) => prev,
  });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(draft.trim());
    keyset.reset();
  };
  const filterError = q.error instanceof ApiError && q.error.status === 400 ? q.error : null;
  return (
    <Stack>
      <search aria-label="Partition filter">
        <form onSubmit={apply}>
          <Group align="flex-end">
            <TextInput
              label="Filter"
              style={{ flex: 1 }}
              value={draft}
              onChange={(e) => setDraft(e.currentTarget.value)}
              placeholder={`e.g. ${keys[0]?.column_name ?? 'key'} = '2024-01-01'`}
              maxLength={256}
              description="Hive metastore filter: =, !=, <, >, LIKE, IN, BETWEEN, AND, OR, NOT"
              error={filterError ? filterError.message : undefined}
            />
            <Button type="submit">Apply filter</Button>
            <Button variant="light" onClick={openAdd}>
              Add partitions
            </Button>
          </Group>
        </form>
      </search>
      {q.error && !filterError && <ErrorAlert error={q.error} />}
      {q.isPending ? (
        <Loading label="Loading partitions" />
      ) : (
        <Table striped withTableBorder aria-label="Partitions" aria-busy={q.isFetching}>
          <Table.Thead>
            <Table.Tr>
              {keys.map((k) => (
                <Table.Th key={k.column_name}>{k.column_name}</Table.Th>
              ))}
              <Table.Th>Location</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(filterError ? [] : (q.data?.partitions ?? [])).map((p) => (
              <Table.Tr key={p.partition_values.join('/')}>
                {keys.map((k, i) => (
                  <Table.Td key={k.column_name}>{p.partition_values[i]}</Table.Td>
                ))}
                <Table.Td style={{ wordBreak: 'break-all' }}>{p.storage_descriptor?.location}</Table.Td>
                <Table.Td>{when(p.create_time)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.data && !filterError && q.data.partitions.length === 0 && (
        <Text size="sm" c="dimmed">
          No partitions match.
        </Text>
      )}
      <Pager info={filterError ? undefined : q.data?.page_info} keyset={keyset} label="Partitions" />
      <ActionModal
        opened={adding}
        onClose={closeAdd}
        title="Add partitions"
        submitLabel="Add"
        invalidate={[['partitions', instance, path]]}
        submit={() =>
          api(inst(instance, `${path}/partitions/batch-create`), {
            method: 'POST',
            body: {
              partitions: values
                .split('\n')
                .map((l) => l.trim())
                .filter(Boolean)
                .map((l) => ({
                  partition_values: l.split(',').map((v) => v.trim()),
                  storage_descriptor: { columns: [] },
                })),
            },
          })
        }
      >
        <Textarea
          label="Partition values"
          autosize
          minRows={3}
          value={values}
          description={`One partition a line, values in key order separated by commas: ${keys
            .map((k) => k.column_name)
            .join(', ')}`}
          onChange={(e) => setValues(e.currentTarget.value)}
        />
      </ActionModal>
    </Stack>
  );
}

function Statistics({ instance, path, t }: { instance: string; path: string; t: TableDef }) {
  const names = t.storage_descriptor.columns.map((c) => c.column_name).slice(0, 1000);
  const q = useQuery({
    queryKey: ['statistics', instance, path],
    queryFn: () =>
      api<{ column_statistics_objects?: Record<string, unknown>[] } | Record<string, unknown>[]>(
        inst(instance, `${path}/column-statistics/batch-get`),
        { method: 'POST', body: { column_names: names } },
      ),
  });
  if (q.isPending) return <Loading label="Loading statistics" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  const objs = (Array.isArray(q.data) ? q.data : (q.data.column_statistics_objects ?? [])) as {
    column_name: string;
    column_type: string;
    data_type: string;
    [k: string]: unknown;
  }[];
  if (!objs.length)
    return (
      <Text size="sm" c="dimmed">
        No column statistics were recorded for this table.
      </Text>
    );
  return (
    <Table striped withTableBorder aria-label="Column statistics">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Column</Table.Th>
          <Table.Th>Type</Table.Th>
          <Table.Th>Statistics</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {objs.map((o) => {
          const data = Object.entries(o).find(([k]) => k.endsWith('_statistics_data'))?.[1] as Record<string, unknown>;
          return (
            <Table.Tr key={o.column_name}>
              <Table.Td>{o.column_name}</Table.Td>
              <Table.Td>{o.column_type}</Table.Td>
              <Table.Td>
                {Object.entries(data ?? {})
                  .filter(([k]) => k !== 'bit_vector')
                  .map(([k, v]) => `${k.replace(/_/g, ' ')}: ${JSON.stringify(v)}`)
                  .join(' · ')}
              </Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}

const CONSTRAINT_TYPES = ['PRIMARY_KEY', 'FOREIGN_KEY', 'NOT_NULL_CSTR', 'UNIQUE_CSTR', 'CHECK_CSTR', 'DEFAULT_CSTR'];

function Constraints({ instance, path }: { instance: string; path: string }) {
  const [type, setType] = useState('PRIMARY_KEY');
  const q = useQuery({
    queryKey: ['constraints', instance, path, type],
    queryFn: () => api<Record<string, unknown>>(inst(instance, `${path}/constraints`), { query: { type } }),
  });
  const rows = Object.values(q.data ?? {})
    .filter(Array.isArray)
    .flat() as Record<string, unknown>[];
  return (
    <Stack>
      <Select
        label="Constraint type"
        value={type}
        allowDeselect={false}
        w={240}
        data={CONSTRAINT_TYPES}
        onChange={(v) => v && setType(v)}
      />
      {q.isPending && <Loading label="Loading constraints" />}
      <ErrorAlert error={q.error} />
      {q.data &&
        (rows.length ? (
          <Table striped withTableBorder aria-label="Constraints">
            <Table.Thead>
              <Table.Tr>
                {Object.keys(rows[0] ?? {}).map((k) => (
                  <Table.Th key={k}>{k}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                // A constraint row has no id field common to all types; its content is unique within the answer.
                <Table.Tr key={JSON.stringify(r)}>
                  {Object.entries(r).map(([k, v]) => (
                    <Table.Td key={k}>{String(v)}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            No constraints of this type.
          </Text>
        ))}
    </Stack>
  );
}

interface TableVersion {
  version_id: string;
  is_current: boolean;
  replaced_time?: string;
  table: TableDef;
}
type Col = { column_name: string; column_type: string };

const columnsOf = (t: TableDef): Col[] => [...(t.storage_descriptor?.columns ?? []), ...(t.partition_keys ?? [])];

/** What changed in the columns from the older definition to the newer one, in words. */
function schemaChange(older: TableDef | undefined, newer: TableDef): string {
  if (!older) return '';
  const before = new Map(columnsOf(older).map((c) => [c.column_name.toLowerCase(), c]));
  const after = new Map(columnsOf(newer).map((c) => [c.column_name.toLowerCase(), c]));
  const out: string[] = [];
  for (const [k, c] of after) {
    const was = before.get(k);
    if (!was) out.push(`added ${c.column_name} ${c.column_type}`);
    else if (was.column_type.toLowerCase() !== c.column_type.toLowerCase())
      out.push(`${c.column_name} ${was.column_type} → ${c.column_type}`);
  }
  for (const [k, c] of before) if (!after.has(k)) out.push(`dropped ${c.column_name}`);
  return out.length ? out.join(', ') : 'no column change';
}

const HISTORY_PAGE = 20;

/** The table's kept definitions (ListTableVersions), newest first, each with its columns and what it changed. */
function SchemaHistory({ instance, path }: { instance: string; path: string }) {
  // Markers of the pages seen, to step back: the listing pages forward only.
  const [markers, setMarkers] = useState<string[]>([]);
  const marker = markers[markers.length - 1];
  const q = useQuery({
    queryKey: ['table-versions', instance, path, marker ?? ''],
    queryFn: ({ signal }) =>
      api<{ table_versions: TableVersion[]; page_info: PageInfo }>(inst(instance, `${path}/versions`), {
        signal,
        query: { limit: HISTORY_PAGE + 1, marker },
      }),
    placeholderData: (prev) => prev,
  });
  if (q.isPending) return <Loading label="Loading schema history" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  // One more than shown: the oldest shown is compared with the one before it.
  const all = q.data.table_versions;
  const shown = all.slice(0, HISTORY_PAGE);
  const next = all.length > HISTORY_PAGE ? shown[shown.length - 1]?.version_id : undefined;
  return (
    <Stack>
      <Table striped withTableBorder aria-label="Schema history" aria-busy={q.isFetching}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Version</Table.Th>
            <Table.Th>Replaced</Table.Th>
            <Table.Th>Change</Table.Th>
            <Table.Th>Columns</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((v, i) => (
            <Table.Tr key={v.version_id}>
              <Table.Td>
                {v.version_id}{' '}
                {v.is_current && (
                  <Badge size="sm" variant="light">
                    current
                  </Badge>
                )}
              </Table.Td>
              <Table.Td>{v.replaced_time ? when(v.replaced_time) : ''}</Table.Td>
              <Table.Td>{schemaChange(all[i + 1]?.table, v.table) || 'first kept version'}</Table.Td>
              <Table.Td>
                {columnsOf(v.table)
                  .map((c) => `${c.column_name} ${c.column_type}`)
                  .join(', ')}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group gap="xs" aria-label="Schema history pages" role="group">
        <Button
          size="xs"
          variant="default"
          disabled={!markers.length}
          onClick={() => setMarkers((m) => m.slice(0, -1))}
        >
          Newer versions
        </Button>
        <Button size="xs" variant="default" disabled={!next} onClick={() => next && setMarkers((m) => [...m, next])}>
          Older versions
        </Button>
      </Group>
    </Stack>
  );
}

interface IcebergLoad {
  'metadata-location'?: string;
  metadata: {
    'format-version': number;
    'table-uuid': string;
    location: string;
    'current-snapshot-id'?: number;
    snapshots?: {
      'snapshot-id': number;
      'parent-snapshot-id'?: number;
      'timestamp-ms': number;
      summary?: Record<string, string>;
    }[];
    refs?: Record<string, { 'snapshot-id': number; type: string }>;
    schemas?: { 'schema-id': number; fields: { id: number; name: string; type: unknown; required: boolean }[] }[];
    'current-schema-id'?: number;
  };
}

function Iceberg({
  instance,
  catalog,
  database,
  table,
}: {
  instance: string;
  catalog: string;
  database: string;
  table: string;
}) {
  const q = useQuery({
    queryKey: ['iceberg', instance, catalog, database, table],
    queryFn: async () => {
      const warehouse = instance === 'default' ? catalog : `${instance}/${catalog}`;
      const config = await api<{ overrides?: { prefix?: string } }>('/iceberg/v1/config', { query: { warehouse } });
      const prefix = config.overrides?.prefix ?? '';
      return api<IcebergLoad>(
        `/iceberg/v1/${enc(prefix)}/namespaces/${enc(database.split('.').join('\x1f'))}` + `/tables/${enc(table)}`,
      );
    },
  });
  if (q.isPending) return <Loading label="Loading Iceberg metadata" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  const m = q.data.metadata;
  return (
    <Stack>
      <KeyValues
        label="Iceberg table"
        data={{
          'metadata location': q.data['metadata-location'],
          'format version': m['format-version'],
          uuid: m['table-uuid'],
          location: m.location,
          'current snapshot': m['current-snapshot-id'],
        }}
      />
      <Title order={2} size="h4">
        Snapshots
      </Title>
      <Table striped withTableBorder aria-label="Snapshots">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Snapshot</Table.Th>
            <Table.Th>Parent</Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Operation</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(m.snapshots ?? [])
            .slice(-100)
            .reverse()
            .map((s) => (
              <Table.Tr key={s['snapshot-id']}>
                <Table.Td>{s['snapshot-id']}</Table.Td>
                <Table.Td>{s['parent-snapshot-id']}</Table.Td>
                <Table.Td>{when(s['timestamp-ms'])}</Table.Td>
                <Table.Td>{s.summary?.operation}</Table.Td>
              </Table.Tr>
            ))}
        </Table.Tbody>
      </Table>
      <Title order={2} size="h4">
        Refs
      </Title>
      <KeyValues
        label="Refs"
        data={Object.fromEntries(Object.entries(m.refs ?? {}).map(([k, v]) => [k, `${v.type} → ${v['snapshot-id']}`]))}
      />
      <Title order={2} size="h4">
        Schema history
      </Title>
      {(m.schemas ?? []).map((s) => (
        <Stack key={s['schema-id']} gap={4}>
          <Text fw={600}>
            Schema {s['schema-id']}
            {s['schema-id'] === m['current-schema-id'] ? ' (current)' : ''}
          </Text>
          <Text size="sm">
            {s.fields
              .map(
                (f) =>
                  `${f.id}: ${f.name} ${
                    typeof f.type === 'string' ? f.type : JSON.stringify(f.type)
                  }${f.required ? ' required' : ''}`,
              )
              .join(' · ')}
          </Text>
        </Stack>
      ))}
    </Stack>
  );
}

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const str = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Hive's CREATE TABLE for the definition the API returned. */
export function hiveDdl(t: TableDef, database: string): string {
  const name = `${quote(database)}.${quote(t.table_name)}`;
  if (t.table_type === 'VIRTUAL_VIEW') return `CREATE VIEW ${name} AS\n${t.view_original_text ?? ''};`;
  const col = (c: { column_name: string; column_type: string; comment?: string }) =>
    `  ${quote(c.column_name)} ${c.column_type}${c.comment ? ` COMMENT ${str(c.comment)}` : ''}`;
  const sd = t.storage_descriptor;
  const lines = [
    `CREATE ${t.table_type === 'EXTERNAL_TABLE' ? 'EXTERNAL ' : ''}TABLE ${name} (`,
    sd.columns.map(col).join(',\n'),
    ')',
  ];
  if (t.comments) lines.push(`COMMENT ${str(t.comments)}`);
  if (t.partition_keys?.length) lines.push(`PARTITIONED BY (\n${t.partition_keys.map(col).join(',\n')})`);
  if (sd.bucket_columns?.length && (sd.number_of_buckets ?? 0) > 0) {
    lines.push(`CLUSTERED BY (${sd.bucket_columns.map(quote).join(', ')}) INTO ${sd.number_of_buckets} BUCKETS`);
  }
  if (sd.serde_info?.serialization_library) lines.push(`ROW FORMAT SERDE ${str(sd.serde_info.serialization_library)}`);
  if (sd.input_format) lines.push(`STORED AS INPUTFORMAT ${str(sd.input_format)}`);
  if (sd.output_format) lines.push(`  OUTPUTFORMAT ${str(sd.output_format)}`);
  if (sd.location) lines.push(`LOCATION ${str(sd.location)}`);
  const props = Object.entries(t.parameters ?? {});
  if (props.length) lines.push(`TBLPROPERTIES (\n${props.map(([k, v]) => `  ${str(k)}=${str(v)}`).join(',\n')})`);
  return `${lines.join('\n')};`;
}

function Ddl({ t, database }: { t: TableDef; catalog: string; database: string }) {
  const ddl = hiveDdl(t, database);
  return (
    <Stack>
      <Group>
        <CopyButton value={ddl}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? 'Copied' : 'Copy DDL'}
            </Button>
          )}
        </CopyButton>
      </Group>
      <Code block aria-label="Hive DDL" tabIndex={0}>
        {ddl}
      </Code>
      {t.table_format && t.table_format !== 'HIVE' && (
        <Alert color="gray">This is a {t.table_format} table: the DDL shows its Hive view.</Alert>
      )}
    </Stack>
  );
}
