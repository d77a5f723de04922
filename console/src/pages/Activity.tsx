import { Badge, Button, Code, Group, Select, Stack, Table, Tabs, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { api, inst } from '../api';
import type { PageInfo } from '../types';
import { MarkerStackPager, PagedTable, Pager, useKeyset, useMarkerStack, when } from '../ui';

export default function Activity() {
  const { instance = 'default' } = useParams();
  return (
    <Stack>
      <Title order={1} size="h2">
        Activity
      </Title>
      <Tabs defaultValue="events" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="events">Metadata events</Tabs.Tab>
          <Tabs.Tab value="audit">Audit events</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="events" pt="sm">
          <Events instance={instance} />
        </Tabs.Panel>
        <Tabs.Panel value="audit" pt="sm">
          <Audit instance={instance} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

interface MetadataEvent {
  event_id: number;
  event_time: string;
  metadata_action_type: string;
  catalog_name?: string;
  database_name?: string;
  object_name?: string;
  principal?: string;
  metadata_object?: Record<string, unknown>;
}

const iso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function Events({ instance }: { instance: string }) {
  const keyset = useKeyset();
  const [draft, setDraft] = useState({ begin: '', end: '' });
  const [range, setRange] = useState({ begin: '', end: '' });
  const [action, setAction] = useState<string | null>(null);
  const [object, setObject] = useState('');
  const q = useQuery({
    queryKey: ['events', instance, range, ...keyset.key],
    queryFn: () =>
      api<{ metadata_events: MetadataEvent[]; page_info: PageInfo }>(inst(instance, '/metadata-event'), {
        query: { limit: 100, begin_time: iso(range.begin), end_time: iso(range.end), ...keyset.query },
      }),
  });
  const events = (q.data?.metadata_events ?? []).filter(
    (e) =>
      (!action || e.metadata_action_type === action) &&
      (!object || [e.catalog_name, e.database_name, e.object_name].join('.').includes(object)),
  );
  const actions = [...new Set((q.data?.metadata_events ?? []).map((e) => e.metadata_action_type))].sort();
  return (
    <Stack>
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          setRange(draft);
          keyset.reset();
        }}
        aria-label="Event filters"
      >
        <Group align="flex-end">
          <TextInput
            type="datetime-local"
            label="From"
            value={draft.begin}
            onChange={(e) => setDraft({ ...draft, begin: e.currentTarget.value })}
          />
          <TextInput
            type="datetime-local"
            label="To"
            value={draft.end}
            onChange={(e) => setDraft({ ...draft, end: e.currentTarget.value })}
          />
          <Button type="submit">Apply time range</Button>
          <Select
            label="Action (this page)"
            clearable
            placeholder="any"
            data={actions}
            value={action}
            onChange={setAction}
            w={220}
          />
          <TextInput
            label="Object name contains (this page)"
            value={object}
            onChange={(e) => setObject(e.currentTarget.value)}
          />
        </Group>
      </form>
      <PagedTable
        query={q}
        label="Metadata events"
        loadingLabel="Loading events"
        columns={['#', 'Time', 'Action', 'Object', 'By']}
        rows={q.data ? events : undefined}
        rowKey={(e) => e.event_id}
        cells={(e) => (
          <>
            <Table.Td>{e.event_id}</Table.Td>
            <Table.Td>{when(e.event_time)}</Table.Td>
            <Table.Td>
              <Badge variant="light">{e.metadata_action_type}</Badge>
            </Table.Td>
            <Table.Td>
              <Code>{[e.catalog_name, e.database_name, e.object_name].filter(Boolean).join('.')}</Code>
            </Table.Td>
            <Table.Td>{e.principal}</Table.Td>
          </>
        )}
        empty="No events."
        pager={<Pager info={q.data?.page_info} keyset={keyset} label="Events" />}
      />
    </Stack>
  );
}

interface AuditEvent {
  event_id?: string;
  id?: string;
  time?: string;
  event_time?: string;
  user_name?: string;
  operation?: string;
  result?: string;
  reason?: string;
  detail?: unknown;
  [k: string]: unknown;
}

function Audit({ instance }: { instance: string }) {
  const [result, setResult] = useState<string | null>(null);
  const pages = useMarkerStack();
  const q = useQuery({
    queryKey: ['audit', instance, result, pages.marker],
    queryFn: () =>
      api<{ audit_events: AuditEvent[]; page_info: PageInfo }>(inst(instance, '/audit-events'), {
        query: { limit: 50, result: result ?? undefined, marker: pages.marker },
      }),
  });
  const rows = q.data?.audit_events ?? [];
  const first = rows[0];
  const cols = first
    ? Object.keys(first)
        .filter((k) => typeof first[k] !== 'object')
        .slice(0, 8)
    : [];
  const next = q.data?.page_info?.next_marker;
  return (
    <Stack>
      <Select
        label="Result"
        clearable
        placeholder="any"
        w={200}
        data={['success', 'denied']}
        value={result}
        onChange={(v) => {
          setResult(v);
          pages.reset();
        }}
      />
      <PagedTable
        query={q}
        label="Audit events"
        loadingLabel="Loading audit events"
        columns={cols.map((c) => c.replace(/_/g, ' '))}
        rows={rows}
        rowKey={(r) => String(r.id ?? r.event_id ?? JSON.stringify(r))}
        cells={(r) => cols.map((c) => <Table.Td key={c}>{String(r[c] ?? '')}</Table.Td>)}
        empty="No audit events."
        emptyInsteadOfTable
        pager={<MarkerStackPager stack={pages} next={next} label="Audit" />}
      />
    </Stack>
  );
}
