import { Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { skipToken, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, inst } from '../api';
import { useInstanceId } from '../hooks';
import { ActionModal, ErrorAlert, Loading, OffsetPager, useToggle, when } from '../ui';

export const JOB_TYPES = ['METADATA_DISCOVERY', 'METADATA_MIGRATION', 'PERMISSION_MIGRATION'];
export const statusColor = (s?: string) =>
  (
    ({
      SUCCESS: 'green',
      FAILED: 'red',
      RUNNING: 'blue',
      SUBMITTED: 'cyan',
      PARTIAL_SUCCESS: 'yellow',
      STOPPED: 'gray',
    }) as Record<string, string>
  )[s ?? ''] ?? 'gray';

export interface Job {
  id: string;
  name: string;
  type: string;
  status: string;
  description?: string;
  create_time: string;
  start_time?: string;
  parameter?: Record<string, unknown>;
}

const PAGE = 20;

export default function Jobs() {
  const { instance = 'default' } = useParams();
  const { id, error } = useInstanceId(instance);
  const [type, setType] = useState('METADATA_DISCOVERY');
  const [offset, setOffset] = useState(0);
  const [creating, openCreate, closeCreate] = useToggle();
  const q = useQuery({
    queryKey: ['jobs', id, type, offset],
    queryFn: id
      ? () => api<{ jobs: Job[]; total: number }>(inst(id, '/lf-jobs'), { query: { type, offset, limit: PAGE } })
      : skipToken,
    refetchInterval: (query) =>
      query.state.data?.jobs.some((j) => ['RUNNING', 'SUBMITTED'].includes(j.status)) ? 1000 : false,
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          Jobs
        </Title>
        <Button onClick={openCreate} disabled={!id}>
          Create job
        </Button>
      </Group>
      <ErrorAlert error={error} />
      <Select
        label="Job type"
        w={300}
        value={type}
        data={JOB_TYPES}
        allowDeselect={false}
        onChange={(v) => {
          setType(v ?? type);
          setOffset(0);
        }}
      />
      <ErrorAlert error={q.error} />
      {q.isPending ? (
        <Loading label="Loading jobs" />
      ) : (
        <Table striped withTableBorder aria-label="Jobs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last start</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {q.data?.jobs.map((j) => (
              <Table.Tr key={j.id}>
                <Table.Td>
                  <Link to={`/i/${instance}/jobs/${j.id}`}>{j.name}</Link>
                </Table.Td>
                <Table.Td>
                  <Badge color={statusColor(j.status)}>{j.status}</Badge>
                </Table.Td>
                <Table.Td>{when(j.create_time)}</Table.Td>
                <Table.Td>{when(j.start_time)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {q.data?.jobs.length === 0 && (
        <Text size="sm" c="dimmed">
          No jobs of this type.
        </Text>
      )}
      <OffsetPager offset={offset} limit={PAGE} total={q.data?.total} onChange={setOffset} label="Jobs" />
      {creating && id && <JobDialog instanceId={id} instance={instance} onClose={closeCreate} initialType={type} />}
    </Stack>
  );
}

function JobDialog({
  instanceId,
  onClose,
  initialType,
}: {
  instanceId: string;
  instance: string;
  onClose: () => void;
  initialType: string;
}) {
  const [type, setType] = useState(initialType);
  const [f, setF] = useState<Record<string, string>>({
    name: '',
    description: '',
    target_catalog: 'hive',
    conflict_strategy: 'UPSERT',
    datasource_type: 'OPEN_FOR_MYSQL',
    sync_objects: 'DATABASE,TABLE,PARTITION,FUNCTION',
    policy_type: 'RANGER',
    principal_map: '',
  });
  const field = (
    k: string,
    label: string,
    extra: { required?: boolean; placeholder?: string; description?: string; type?: string } = {},
  ) => (
    <TextInput
      label={label}
      value={f[k] ?? ''}
      {...extra}
      onChange={(e) => setF({ ...f, [k]: e.currentTarget.value })}
    />
  );
  const parameter = () => {
    const opt = (k: string) => (f[k] ? { [k]: f[k] } : {});
    if (type === 'METADATA_DISCOVERY')
      return {
        metadata_discovery_parameter: {
          data_location: f.data_location,
          target_catalog: f.target_catalog,
          target_database: f.target_database,
          conflict_strategy: f.conflict_strategy,
          ...opt('log_location'),
        },
      };
    if (type === 'METADATA_MIGRATION')
      return {
        metadata_migration_parameter: {
          datasource_type: f.datasource_type,
          datasource_parameter: { jdbc_url: f.jdbc_url, username: f.username, password: f.password },
          source_catalog: f.source_catalog || 'hive',
          target_catalog: f.target_catalog,
          sync_objects: (f.sync_objects ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
          conflict_strategy: f.conflict_strategy,
          ...opt('default_owner'),
          ...opt('log_location'),
        },
      };
    return {
      permission_migration_parameter: {
        location: f.location,
        file_name: f.file_name,
        policy_type: f.policy_type,
        catalog_id: f.target_catalog || undefined,
        ranger_permission_migration_principal_relas: {},
        ...opt('log_location'),
      },
    };
  };
  return (
    <ActionModal
      opened
      onClose={onClose}
      title="Create job"
      submitLabel="Create"
      invalidate={[['jobs', instanceId]]}
      submit={() =>
        api(inst(instanceId, '/lf-jobs'), {
          method: 'POST',
          body: { name: f.name, description: f.description || undefined, type, parameter: parameter() },
        })
      }
    >
      <Select
        label="Job type"
        value={type}
        data={JOB_TYPES}
        allowDeselect={false}
        onChange={(v) => setType(v ?? type)}
      />
      {field('name', 'Job name', { required: true, description: '4–255 letters, digits or _' })}
      {field('description', 'Description')}
      {type === 'METADATA_DISCOVERY' && (
        <>
          {field('data_location', 'Data location', { required: true, placeholder: 'obs://bucket/path' })}
          {field('target_catalog', 'Target catalog', { required: true })}
          {field('target_database', 'Target database', { required: true })}
        </>
      )}
      {type === 'METADATA_MIGRATION' && (
        <>
          <Select
            label="Source database type"
            value={f.datasource_type}
            allowDeselect={false}
            data={['OPEN_FOR_MYSQL', 'MRS_RDS_FOR_MYSQL', 'MRS_RDS_FOR_PG']}
            onChange={(v) => setF({ ...f, datasource_type: v ?? 'OPEN_FOR_MYSQL' })}
          />
          {field('jdbc_url', 'JDBC URL', { required: true, placeholder: 'jdbc:mysql://host:3306/metastore' })}
          {field('username', 'User name', { required: true })}
          {field('password', 'Password', { type: 'password' })}
          {field('source_catalog', 'Source catalog', { placeholder: 'hive' })}
          {field('target_catalog', 'Target catalog', { required: true })}
          {field('sync_objects', 'Objects to copy', { description: 'DATABASE, TABLE, PARTITION, FUNCTION' })}
          {field('default_owner', 'Default owner')}
        </>
      )}
      {type === 'PERMISSION_MIGRATION' && (
        <>
          {field('location', 'Export folder', { required: true, placeholder: 'obs://bucket/path' })}
          {field('file_name', 'Export file name', { required: true, placeholder: 'ranger.json' })}
          {field('target_catalog', 'Catalog', { placeholder: 'hive' })}
        </>
      )}
      {type !== 'PERMISSION_MIGRATION' && (
        <Select
          label="When an object exists"
          value={f.conflict_strategy}
          data={['UPSERT', 'UPDATE', 'SKIP', 'FAIL']}
          allowDeselect={false}
          onChange={(v) => setF({ ...f, conflict_strategy: v ?? 'UPSERT' })}
        />
      )}
      {field('log_location', 'Log location', { placeholder: 'optional: obs://bucket/logs' })}
    </ActionModal>
  );
}
