import {
  Badge,
  Button,
  Group,
  NumberInput,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, enc, lf } from '../api';
import type { Instance } from '../types';
import {
  ActionModal,
  ErrorAlert,
  formatProps,
  KeyValues,
  Loading,
  OffsetPager,
  parseProps,
  useToggle,
  when,
} from '../ui';

const PAGE = 20;
const SPEC = 'lakeformation.unit.basic.qps';

export default function Instances() {
  const { instance } = useParams();
  const [offset, setOffset] = useState(0);
  const [bin, setBin] = useState(false);
  const [name, setName] = useState('');
  const [creating, openCreate, closeCreate] = useToggle();
  const q = useQuery({
    queryKey: ['instances', 'list', offset, bin, name],
    queryFn: () =>
      api<{ instances: Instance[]; total: number }>(lf('/instances'), {
        query: { offset, limit: PAGE, in_recycle_bin: bin, name: name || undefined },
      }),
    refetchInterval: (query) =>
      query.state.data?.instances.some((i) => i.status !== 'RUNNING' && !i.in_recycle_bin) ? 1000 : false,
  });
  const quotas = useQuery({
    queryKey: ['quotas'],
    queryFn: () => api<{ quotas: { resources: { type: string; quota: number; used: number }[] } }>(lf('/quotas')),
  });
  const quota = quotas.data?.quotas.resources.find((r) => r.type === 'instance');
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Instances
        </Title>
        <Group>
          {quota && (
            <Text size="sm" c="dimmed">
              {quota.used} of {quota.quota} instances used
            </Text>
          )}
          <Button onClick={openCreate}>Create instance</Button>
        </Group>
      </Group>
      <Group align="flex-end">
        <TextInput
          label="Name"
          value={name}
          onChange={(e) => {
            setName(e.currentTarget.value);
            setOffset(0);
          }}
        />
        <Switch
          label="Recycle bin"
          checked={bin}
          onChange={(e) => {
            setBin(e.currentTarget.checked);
            setOffset(0);
          }}
        />
      </Group>
      <ErrorAlert error={q.error} />
      {q.isPending ? (
        <Loading label="Loading instances" />
      ) : (
        <Table striped withTableBorder aria-label="Instances">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>QPS spec</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Open</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data?.instances.map((i) => (
              <Table.Tr key={i.instance_id}>
                <Table.Td>
                  <Link to={`/instances/${i.instance_id}`}>{i.name}</Link>{' '}
                  {i.default_instance && (
                    <Badge size="sm" variant="light">
                      default
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge color={i.status === 'RUNNING' ? 'green' : 'gray'}>{i.status}</Badge>
                </Table.Td>
                <Table.Td>{i.specs.map((s) => s.stride_num).join(', ')}</Table.Td>
                <Table.Td>{when(i.create_time)}</Table.Td>
                <Table.Td>
                  <Link to={`/i/${i.instance_id}/catalogs`}>Catalogs of {i.name}</Link>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.data?.instances.length === 0 && (
        <Text size="sm" c="dimmed">
          No instances{bin ? ' in the recycle bin' : ''}.
        </Text>
      )}
      <OffsetPager offset={offset} limit={PAGE} total={q.data?.total} onChange={setOffset} label="Instances" />
      {instance && <InstanceDetail id={instance} />}
      {creating && <CreateDialog onClose={closeCreate} />}
    </Stack>
  );
}

function CreateDialog({ onClose }: { onClose: () => void }) {
  const navigate = useNavigate();
  const [f, setF] = useState({ name: '', description: '', stride: 5, tags: '' });
  return (
    <ActionModal
      opened
      onClose={onClose}
      title="Create instance"
      submitLabel="Create"
      invalidate={[['instances']]}
      submit={() =>
        api<Instance>(lf('/instances'), {
          method: 'POST',
          body: {
            name: f.name,
            description: f.description || undefined,
            charge_mode: 'postPaid',
            shared: false,
            specs: [{ spec_code: SPEC, stride_num: f.stride }],
            tags: Object.entries(parseProps(f.tags)).map(([key, value]) => ({ key, value })),
          },
        })
      }
      onDone={(r) => navigate(`/instances/${(r as Instance).instance_id}`)}
    >
      <TextInput
        label="Instance name"
        required
        description="4–32 letters, digits, _ or -"
        value={f.name}
        onChange={(e) => setF({ ...f, name: e.currentTarget.value })}
      />
      <TextInput
        label="Description"
        value={f.description}
        onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
      />
      <NumberInput
        label="QPS spec (strides)"
        min={5}
        max={10000}
        value={f.stride}
        onChange={(v) => setF({ ...f, stride: Number(v) })}
      />
      <Textarea
        label="Tags"
        description="key=value, one a line"
        value={f.tags}
        onChange={(e) => setF({ ...f, tags: e.currentTarget.value })}
      />
    </ActionModal>
  );
}

function InstanceDetail({ id }: { id: string }) {
  const q = useQuery({
    queryKey: ['instances', 'one', id],
    queryFn: () => api<Instance>(lf(`/instances/${enc(id)}`)),
    refetchInterval: (query) =>
      query.state.data && query.state.data.status !== 'RUNNING' && !query.state.data.in_recycle_bin ? 1000 : false,
  });
  const [editing, openEdit, closeEdit] = useToggle();
  const [scaling, openScale, closeScale] = useToggle();
  const [deleting, openDelete, closeDelete] = useToggle();
  const [f, setF] = useState({ name: '', description: '', tags: '', stride: 5, forGood: false });
  if (q.isPending) return <Loading label="Loading instance" />;
  if (q.error) return <ErrorAlert error={q.error} />;
  const i = q.data;
  const base = lf(`/instances/${enc(id)}`);
  const post = (path: string) => api(`${base}${path}`, { method: 'POST' }).then(() => q.refetch());
  return (
    <Stack component="section" aria-label={`Instance ${i.name}`}>
      <Group justify="space-between">
        <Title order={2} size="h3">
          Instance {i.name}
        </Title>
        <Group>
          {!i.default_instance && !i.in_recycle_bin && (
            <Button variant="default" onClick={() => post('/default')}>
              Make default
            </Button>
          )}
          {i.in_recycle_bin ? (
            <Button onClick={() => post('/recover')}>Recover</Button>
          ) : (
            <>
              <Button
                variant="default"
                onClick={() => {
                  setF({
                    ...f,
                    name: i.name,
                    description: i.description,
                    tags: formatProps(Object.fromEntries(i.tags.map((t) => [t.key, t.value]))),
                  });
                  openEdit();
                }}
              >
                Edit
              </Button>
              <Button
                variant="default"
                onClick={() => {
                  setF({ ...f, stride: i.specs[0]?.stride_num ?? 5 });
                  openScale();
                }}
              >
                Scale
              </Button>
            </>
          )}
          <Button variant="outline" color="red" onClick={openDelete}>
            Delete
          </Button>
        </Group>
      </Group>
      <KeyValues
        label="Instance"
        data={{
          id: i.instance_id,
          status: i.status,
          default: i.default_instance,
          description: i.description,
          specs: i.specs.map((s) => `${s.spec_code} × ${s.stride_num}`).join(', '),
          tags: i.tags.map((t) => `${t.key}=${t.value}`).join(', '),
          charge_mode: i.charge_mode,
          created: when(i.create_time),
          updated: when(i.update_time),
          in_recycle_bin: i.in_recycle_bin,
        }}
      />
      <ActionModal
        opened={editing}
        onClose={closeEdit}
        title={`Edit instance ${i.name}`}
        invalidate={[['instances']]}
        submit={async () => {
          await api(base, { method: 'PUT', body: { name: f.name, description: f.description } });
          await api(`${base}/tags`, {
            method: 'PUT',
            body: { tags: Object.entries(parseProps(f.tags)).map(([key, value]) => ({ key, value })) },
          });
        }}
      >
        <TextInput label="Instance name" value={f.name} onChange={(e) => setF({ ...f, name: e.currentTarget.value })} />
        <TextInput
          label="Description"
          value={f.description}
          onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
        />
        <Textarea
          label="Tags"
          description="key=value, one a line"
          value={f.tags}
          onChange={(e) => setF({ ...f, tags: e.currentTarget.value })}
        />
      </ActionModal>
      <ActionModal
        opened={scaling}
        onClose={closeScale}
        title={`Scale instance ${i.name}`}
        invalidate={[['instances']]}
        submit={() =>
          api(`${base}/scale`, { method: 'POST', body: { specs: [{ spec_code: SPEC, stride_num: f.stride }] } })
        }
      >
        <NumberInput
          label="QPS spec (strides)"
          min={5}
          max={10000}
          value={f.stride}
          onChange={(v) => setF({ ...f, stride: Number(v) })}
        />
      </ActionModal>
      <ActionModal
        opened={deleting}
        onClose={closeDelete}
        title={`Delete instance ${i.name}`}
        color="red"
        submitLabel="Delete"
        invalidate={[['instances']]}
        submit={() => api(base, { method: 'DELETE', query: { to_recycle_bin: !f.forGood } })}
      >
        <Switch
          label="Delete for good (otherwise it goes to the recycle bin)"
          checked={f.forGood}
          onChange={(e) => setF({ ...f, forGood: e.currentTarget.checked })}
        />
      </ActionModal>
    </Stack>
  );
}
