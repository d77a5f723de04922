import {
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  Code,
  Group,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { skipToken, useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { api, enc, inst, lf } from '../api';
import { ActionModal, ErrorAlert, KeyValues, Loading, OffsetPager, useToggle } from '../ui';

export default function Storage() {
  const { instance = 'default' } = useParams();
  return (
    <Stack>
      <Title order={1} size="h2">
        Storage
      </Title>
      <Text size="sm" c="dimmed">
        For administrators of the project.
      </Text>
      <Tabs defaultValue="browse" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="browse">Object storage</Tabs.Tab>
          <Tabs.Tab value="locations">Authorized locations</Tabs.Tab>
          <Tabs.Tab value="credentials">Credentials</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="browse" pt="sm">
          <Browse />
        </Tabs.Panel>
        <Tabs.Panel value="locations" pt="sm">
          <Locations />
        </Tabs.Panel>
        <Tabs.Panel value="credentials" pt="sm">
          <Credentials instance={instance} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Browse() {
  const [bucket, setBucket] = useState<string | null>(null);
  const [prefix, setPrefix] = useState('');
  const [markers, setMarkers] = useState<string[]>([]);
  const buckets = useQuery({
    queryKey: ['buckets'],
    queryFn: () => api<{ buckets: { name: string; creation_date: string }[] }>(lf('/obs/buckets')),
  });
  const marker = markers[markers.length - 1];
  const objects = useQuery({
    queryKey: ['objects', bucket, prefix, marker],
    queryFn: bucket
      ? () =>
          api<{ object_names: string[]; next_marker?: string }>(lf(`/obs/buckets/${enc(bucket)}`), {
            query: { prefix, marker, limit: 100 },
          })
      : skipToken,
  });
  const next = objects.data?.next_marker;
  // Each breadcrumb is the prefix up to and including its part.
  const parts = prefix.split('/').filter(Boolean);
  const crumbs = parts.map((name, i) => ({ name, path: `${parts.slice(0, i + 1).join('/')}/` }));
  return (
    <Stack>
      <ErrorAlert error={buckets.error} />
      <Group align="flex-end">
        <Select
          label="Bucket"
          w={260}
          value={bucket}
          data={(buckets.data?.buckets ?? []).map((b) => b.name)}
          onChange={(v) => {
            setBucket(v);
            setPrefix('');
            setMarkers([]);
          }}
          placeholder="pick a bucket"
        />
        <TextInput
          label="Prefix"
          value={prefix}
          w={420}
          onChange={(e) => {
            setPrefix(e.currentTarget.value);
            setMarkers([]);
          }}
        />
      </Group>
      {bucket && (
        <Breadcrumbs aria-label="Prefix">
          <Anchor
            component="button"
            type="button"
            onClick={() => {
              setPrefix('');
              setMarkers([]);
            }}
          >
            {bucket}
          </Anchor>
          {crumbs.map((c) => (
            <Anchor
              key={c.path}
              component="button"
              type="button"
              onClick={() => {
                setPrefix(c.path);
                setMarkers([]);
              }}
            >
              {c.name}
            </Anchor>
          ))}
        </Breadcrumbs>
      )}
      <ErrorAlert error={objects.error} />
      {objects.isFetching && <Loading label="Loading objects" />}
      {objects.data && (
        <Table striped withTableBorder aria-label="Objects">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Key</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {objects.data.object_names.map((k) => (
              <Table.Tr key={k}>
                <Table.Td>
                  <Anchor
                    component="button"
                    type="button"
                    onClick={() => {
                      const rest = k.slice(prefix.length);
                      const slash = rest.indexOf('/');
                      if (slash >= 0) {
                        setPrefix(prefix + rest.slice(0, slash + 1));
                        setMarkers([]);
                      }
                    }}
                  >
                    {k}
                  </Anchor>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {objects.data?.object_names.length === 0 && (
        <Text size="sm" c="dimmed">
          No objects.
        </Text>
      )}
      {bucket && (
        <Group gap="xs" role="group" aria-label="Object pages">
          <Button
            size="xs"
            variant="default"
            disabled={!markers.length}
            onClick={() => setMarkers(markers.slice(0, -1))}
          >
            Previous page
          </Button>
          <Button size="xs" variant="default" disabled={!next} onClick={() => next && setMarkers([...markers, next])}>
            Next page
          </Button>
        </Group>
      )}
    </Stack>
  );
}

function Locations() {
  const [offset, setOffset] = useState(0);
  const [search, setSearch] = useState('');
  const [adding, openAdd, closeAdd] = useToggle();
  const [location, setLocation] = useState('');
  const [cancelling, setCancelling] = useState<string | null>(null);
  const q = useQuery({
    queryKey: ['locations', offset, search],
    queryFn: () =>
      api<{ locations: (string | { location: string })[]; total: number }>('/v1/authorize-location', {
        query: { offset, limit: 20, location: search || undefined },
      }),
  });
  const name = (l: string | { location: string }) => (typeof l === 'string' ? l : l.location);
  return (
    <Stack>
      <Group align="flex-end">
        <TextInput
          label="Location contains"
          value={search}
          onChange={(e) => {
            setSearch(e.currentTarget.value);
            setOffset(0);
          }}
        />
        <Button onClick={openAdd}>Authorize location</Button>
      </Group>
      <ErrorAlert error={q.error} />
      {q.isPending ? (
        <Loading label="Loading locations" />
      ) : (
        <Table striped withTableBorder aria-label="Authorized locations">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Location</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data?.locations.map((l) => (
              <Table.Tr key={name(l)}>
                <Table.Td>
                  <Code>{name(l)}</Code>
                </Table.Td>
                <Table.Td>
                  <Button size="compact-xs" color="red" variant="subtle" onClick={() => setCancelling(name(l))}>
                    Withdraw
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.data?.locations.length === 0 && (
        <Text size="sm" c="dimmed">
          No authorized locations: only each instance's own folder of the default bucket is usable.
        </Text>
      )}
      <OffsetPager offset={offset} limit={20} total={q.data?.total} onChange={setOffset} label="Locations" />
      <ActionModal
        opened={adding}
        onClose={closeAdd}
        title="Authorize a location"
        submitLabel="Authorize"
        invalidate={[['locations']]}
        submit={() => api('/v1/authorize-location', { method: 'POST', body: { locations: [location] } })}
      >
        <TextInput
          label="Location"
          placeholder="obs://bucket/path"
          required
          value={location}
          onChange={(e) => setLocation(e.currentTarget.value)}
        />
      </ActionModal>
      <ActionModal
        opened={cancelling !== null}
        onClose={() => setCancelling(null)}
        title="Withdraw location"
        color="red"
        submitLabel="Withdraw"
        invalidate={[['locations']]}
        submit={() => api('/v1/cancel-authorize-location', { method: 'POST', body: { locations: [cancelling] } })}
      >
        <Text>Withdraw {cancelling}?</Text>
      </ActionModal>
    </Stack>
  );
}

function Credentials({ instance }: { instance: string }) {
  const [f, setF] = useState({ catalog: 'hive', database: '', table: '', access: 'READ' });
  const m = useMutation({
    mutationFn: () =>
      api<Record<string, unknown>>(inst(instance, '/credential'), {
        method: 'POST',
        body: {
          ...(f.table ? { table: { catalog_name: f.catalog, database_name: f.database, table_name: f.table } } : {}),
          access: f.access,
        },
      }),
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF({ ...f, [k]: e.currentTarget.value });
  return (
    <form
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        m.mutate();
      }}
    >
      <Stack>
        <Text size="sm">
          Temporary storage credentials reaching one table's folder (or, for an administrator without a table, the
          instance's whole folder).
        </Text>
        <Group align="flex-end">
          <TextInput label="Catalog" value={f.catalog} onChange={set('catalog')} />
          <TextInput label="Database" value={f.database} onChange={set('database')} />
          <TextInput label="Table" value={f.table} onChange={set('table')} />
          <Select
            label="Access"
            value={f.access}
            data={['READ', 'READ_WRITE']}
            allowDeselect={false}
            onChange={(v) => setF({ ...f, access: v ?? 'READ' })}
          />
          <Button type="submit" loading={m.isPending}>
            Issue credential
          </Button>
        </Group>
        <ErrorAlert error={m.error} />
        {m.data && (
          <>
            <Alert color="yellow">Shown once: store it now. It expires at {String(m.data.expires_at ?? '')}.</Alert>
            <KeyValues label="Credential" data={m.data} />
          </>
        )}
      </Stack>
    </form>
  );
}
