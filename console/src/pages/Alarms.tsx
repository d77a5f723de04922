import {
  Badge,
  Button,
  Group,
  NumberInput,
  Select,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useParams } from 'react-router';
import { api, enc, inst } from '../api';
import type { PageInfo } from '../types';
import { ActionModal, MarkerStackPager, OffsetPager, PagedTable, useMarkerStack, when } from '../ui';

const METRICS = ['REQUEST_RATE_RATIO', 'QUOTA_USAGE_RATIO', 'DENIED_REQUEST_RATE', 'JOB_FAILURES'];
const COMPARISONS = ['>', '>=', '<', '<=', '='];

interface Rule {
  rule_id: string;
  rule_name: string;
  description: string;
  metric: string;
  comparison_operator: string;
  threshold: number;
  evaluation_period: number;
  enabled: boolean;
  webhook_url?: string;
}
interface AlarmRecord {
  record_id: string;
  rule_id: string;
  rule_name: string;
  metric: string;
  comparison_operator: string;
  threshold: number;
  status: string;
  value: number;
  open_time: string;
  acknowledged_by?: string;
  comment?: string;
  resolve_time?: string;
  resolve_reason?: string;
}

export default function Alarms() {
  const { instance = 'default' } = useParams();
  return (
    <Stack>
      <Title order={1} size="h2">
        Alarms
      </Title>
      <Tabs defaultValue="records" keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="records">Records</Tabs.Tab>
          <Tabs.Tab value="rules">Rules</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="records" pt="sm">
          <Records instance={instance} />
        </Tabs.Panel>
        <Tabs.Panel value="rules" pt="sm">
          <Rules instance={instance} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Rules({ instance }: { instance: string }) {
  const [offset, setOffset] = useState(0);
  const [editing, setEditing] = useState<Rule | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Rule | null>(null);
  const q = useQuery({
    queryKey: ['alarm-rules', instance, offset],
    queryFn: () =>
      api<{ rules: Rule[]; total: number }>(inst(instance, '/alarms/rules'), { query: { offset, limit: 20 } }),
  });
  return (
    <Stack>
      <Group>
        <Button onClick={() => setEditing('new')}>Create rule</Button>
      </Group>
      <PagedTable
        query={q}
        label="Alarm rules"
        loadingLabel="Loading rules"
        columns={['Name', 'Condition', 'Period', 'Enabled', 'Actions']}
        rows={q.data?.rules}
        rowKey={(r) => r.rule_id}
        cells={(r) => (
          <>
            <Table.Td>{r.rule_name}</Table.Td>
            <Table.Td>
              {r.metric} {r.comparison_operator} {r.threshold}
            </Table.Td>
            <Table.Td>{r.evaluation_period} s</Table.Td>
            <Table.Td>{r.enabled ? 'yes' : 'no'}</Table.Td>
            <Table.Td>
              <Group gap={4}>
                <Button size="compact-xs" variant="subtle" onClick={() => setEditing(r)}>
                  Edit
                </Button>
                <Button size="compact-xs" variant="subtle" color="red" onClick={() => setDeleting(r)}>
                  Delete
                </Button>
              </Group>
            </Table.Td>
          </>
        )}
        empty="No rules."
        pager={<OffsetPager offset={offset} limit={20} total={q.data?.total} onChange={setOffset} label="Rules" />}
      />
      {editing && (
        <RuleDialog
          instance={instance}
          rule={editing === 'new' ? undefined : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <ActionModal
        opened={deleting !== null}
        onClose={() => setDeleting(null)}
        title="Delete rule"
        color="red"
        submitLabel="Delete"
        invalidate={[['alarm-rules', instance]]}
        submit={() => api(inst(instance, `/alarms/rules/${enc(deleting?.rule_id ?? '')}`), { method: 'DELETE' })}
      >
        <Text>Delete rule {deleting?.rule_name}?</Text>
      </ActionModal>
    </Stack>
  );
}

function RuleDialog({ instance, rule, onClose }: { instance: string; rule?: Rule; onClose: () => void }) {
  const [f, setF] = useState({
    rule_name: rule?.rule_name ?? '',
    description: rule?.description ?? '',
    metric: rule?.metric ?? 'REQUEST_RATE_RATIO',
    comparison_operator: rule?.comparison_operator ?? '>=',
    threshold: rule?.threshold ?? 0.8,
    evaluation_period: rule?.evaluation_period ?? 60,
    enabled: rule?.enabled ?? true,
    webhook_url: rule?.webhook_url ?? '',
  });
  return (
    <ActionModal
      opened
      onClose={onClose}
      title={rule ? `Edit rule ${rule.rule_name}` : 'Create alarm rule'}
      invalidate={[['alarm-rules', instance]]}
      submit={() =>
        rule
          ? api(inst(instance, `/alarms/rules/${enc(rule.rule_id)}`), {
              method: 'PUT',
              body: { ...f, webhook_url: f.webhook_url || null },
            })
          : api(inst(instance, '/alarms/rules'), {
              method: 'POST',
              body: { ...f, webhook_url: f.webhook_url || undefined, description: f.description || undefined },
            })
      }
    >
      <TextInput
        label="Rule name"
        required
        value={f.rule_name}
        onChange={(e) => setF({ ...f, rule_name: e.currentTarget.value })}
      />
      <TextInput
        label="Description"
        value={f.description}
        onChange={(e) => setF({ ...f, description: e.currentTarget.value })}
      />
      <Group grow>
        <Select
          label="Metric"
          data={METRICS}
          value={f.metric}
          allowDeselect={false}
          onChange={(v) => setF({ ...f, metric: v ?? f.metric })}
        />
        <Select
          label="Comparison"
          data={COMPARISONS}
          value={f.comparison_operator}
          allowDeselect={false}
          onChange={(v) => setF({ ...f, comparison_operator: v ?? f.comparison_operator })}
        />
        <NumberInput
          label="Threshold"
          value={f.threshold}
          min={0}
          decimalScale={4}
          onChange={(v) => setF({ ...f, threshold: Number(v) })}
        />
        <NumberInput
          label="Period (seconds)"
          value={f.evaluation_period}
          min={1}
          onChange={(v) => setF({ ...f, evaluation_period: Number(v) })}
        />
      </Group>
      <TextInput
        label="Webhook URL"
        value={f.webhook_url}
        onChange={(e) => setF({ ...f, webhook_url: e.currentTarget.value })}
      />
      <Switch label="Enabled" checked={f.enabled} onChange={(e) => setF({ ...f, enabled: e.currentTarget.checked })} />
    </ActionModal>
  );
}

function Records({ instance }: { instance: string }) {
  const [status, setStatus] = useState<string | null>('OPEN');
  const pages = useMarkerStack();
  const [acking, setAcking] = useState<AlarmRecord | null>(null);
  const [resolving, setResolving] = useState<AlarmRecord | null>(null);
  const [comment, setComment] = useState('');
  const q = useQuery({
    queryKey: ['alarm-records', instance, status, pages.marker],
    queryFn: () =>
      api<{ records: AlarmRecord[]; page_info: PageInfo }>(inst(instance, '/alarms/records'), {
        query: { limit: 50, status: status ?? undefined, marker: pages.marker },
      }),
    refetchInterval: 10_000,
  });
  const next = q.data?.page_info?.next_marker;
  return (
    <Stack>
      <Select
        label="Status"
        clearable
        placeholder="any"
        w={200}
        data={['OPEN', 'ACKNOWLEDGED', 'RESOLVED']}
        value={status}
        onChange={(v) => {
          setStatus(v);
          pages.reset();
        }}
      />
      <PagedTable
        query={q}
        label="Alarm records"
        loadingLabel="Loading alarm records"
        columns={['Opened', 'Rule', 'Value', 'Status', 'Note', 'Actions']}
        rows={q.data?.records}
        rowKey={(r) => r.record_id}
        cells={(r) => (
          <>
            <Table.Td>{when(r.open_time)}</Table.Td>
            <Table.Td>
              {r.rule_name}: {r.metric} {r.comparison_operator} {r.threshold}
            </Table.Td>
            <Table.Td>{r.value}</Table.Td>
            <Table.Td>
              <Badge color={r.status === 'OPEN' ? 'red' : r.status === 'RESOLVED' ? 'green' : 'yellow'}>
                {r.status}
              </Badge>
            </Table.Td>
            <Table.Td>
              {r.resolve_reason ?? ''} {r.acknowledged_by ? `ack by ${r.acknowledged_by}` : ''} {r.comment}
            </Table.Td>
            <Table.Td>
              <Group gap={4}>
                {r.status === 'OPEN' && (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() => {
                      setComment('');
                      setAcking(r);
                    }}
                  >
                    Acknowledge
                  </Button>
                )}
                {r.status !== 'RESOLVED' && (
                  <Button size="compact-xs" variant="subtle" onClick={() => setResolving(r)}>
                    Resolve
                  </Button>
                )}
              </Group>
            </Table.Td>
          </>
        )}
        empty="No records."
        pager={<MarkerStackPager stack={pages} next={next} label="Record" />}
      />
      <ActionModal
        opened={acking !== null}
        onClose={() => setAcking(null)}
        title="Acknowledge alarm"
        submitLabel="Acknowledge"
        invalidate={[['alarm-records', instance]]}
        submit={() =>
          api(inst(instance, `/alarms/records/${enc(acking?.record_id ?? '')}/acknowledge`), {
            method: 'POST',
            body: comment ? { comment } : {},
          })
        }
      >
        <TextInput label="Comment" value={comment} onChange={(e) => setComment(e.currentTarget.value)} />
      </ActionModal>
      <ActionModal
        opened={resolving !== null}
        onClose={() => setResolving(null)}
        title="Resolve alarm"
        submitLabel="Disable the rule"
        invalidate={[
          ['alarm-records', instance],
          ['alarm-rules', instance],
        ]}
        // The API resolves a record when its condition clears or its rule is disabled, changed or deleted.
        submit={() =>
          api(inst(instance, `/alarms/rules/${enc(resolving?.rule_id ?? '')}`), {
            method: 'PUT',
            body: { enabled: false },
          })
        }
      >
        <Text>
          A record resolves by itself when its condition clears. To resolve it now, disable its rule{' '}
          {resolving?.rule_name}; enable it again on the Rules tab.
        </Text>
      </ActionModal>
    </Stack>
  );
}
