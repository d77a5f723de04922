import {
  Anchor,
  Badge,
  Breadcrumbs,
  Button,
  Code,
  Group,
  Progress,
  ScrollArea,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { skipToken, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, enc, inst } from '../api';
import { useInstanceId } from '../hooks';
import { ErrorAlert, Json, Loading, OffsetPager, when } from '../ui';
import { type Job, statusColor } from './Jobs';

interface Run {
  run_id: string;
  status: string;
  current_step: string;
  done: number;
  total: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  message: string;
  submitted_time: string;
  start_time?: string;
  end_time?: string;
}
const active = (s?: string) => s === 'RUNNING' || s === 'SUBMITTED';

export default function JobPage() {
  const { instance = 'default', jobId = '' } = useParams();
  const { id, error } = useInstanceId(instance);
  const queryClient = useQueryClient();
  const [offset, setOffset] = useState(0);
  const [run, setRun] = useState<string | null>(null);
  const base = `/lf-jobs/${enc(jobId)}`;
  const job = useQuery({
    queryKey: ['job', id, jobId],
    queryFn: id ? () => api<Job & { last_run?: Run }>(inst(id, base)) : skipToken,
    refetchInterval: (q) => (active(q.state.data?.last_run?.status) ? 500 : false),
  });
  const history = useQuery({
    queryKey: ['job-history', id, jobId, offset, job.data?.last_run?.status], // again as it ends
    queryFn: id
      ? () => api<{ jobs: Run[]; total: number }>(inst(id, `${base}/history`), { query: { offset, limit: 10 } })
      : skipToken,
    refetchInterval: active(job.data?.last_run?.status) ? 1000 : false,
  });
  const act = useMutation({
    mutationFn: (what: 'start' | 'stop') => {
      if (!id) throw new Error('The instance is not known yet.');
      return api(inst(id, `${base}/${what}`), { method: 'POST' });
    },
    onSuccess: () =>
      queryClient
        .invalidateQueries({ queryKey: ['job', id, jobId] })
        .then(() => queryClient.invalidateQueries({ queryKey: ['job-history', id, jobId] })),
  });
  const last = job.data?.last_run;
  const shownRun = run ?? last?.run_id ?? null;
  return (
    <Stack>
      <Breadcrumbs aria-label="Location">
        <Anchor component={Link} to={`/i/${instance}/jobs`}>
          Jobs
        </Anchor>
        <Text>{job.data?.name ?? jobId}</Text>
      </Breadcrumbs>
      <ErrorAlert error={error ?? job.error} />
      {job.isPending && <Loading label="Loading job" />}
      {job.data && (
        <>
          <Group justify="space-between">
            <Group>
              <Title order={1} size="h2">
                Job {job.data.name}
              </Title>
              <Badge variant="outline">{job.data.type}</Badge>
              <Badge color={statusColor(job.data.status)} data-testid="job-status">
                {job.data.status}
              </Badge>
            </Group>
            <Group>
              <Button onClick={() => act.mutate('start')} loading={act.isPending} disabled={active(last?.status)}>
                Start
              </Button>
              <Button variant="default" onClick={() => act.mutate('stop')} disabled={!active(last?.status)}>
                Stop
              </Button>
            </Group>
          </Group>
          <ErrorAlert error={act.error} />
          {last && (
            <Stack gap={4} aria-label="Last run" role="region">
              <Text size="sm">
                Last run: {last.current_step || last.status} — {`${last.done} of ${last.total || '?'} done`},{' '}
                {last.created} created, {last.updated} updated, {last.skipped} skipped, {last.failed} failed
              </Text>
              <Progress
                value={last.total ? (100 * last.done) / last.total : active(last.status) ? 5 : 100}
                animated={active(last.status)}
                aria-label="Run progress"
                color={statusColor(last.status)}
              />
              {last.message && (
                <Text size="sm" c="red">
                  {last.message}
                </Text>
              )}
            </Stack>
          )}
          <Title order={2} size="h4">
            Parameters
          </Title>
          <Json value={job.data.parameter} label="Job parameters" />
        </>
      )}
      <Title order={2} size="h4">
        Runs
      </Title>
      <ErrorAlert error={history.error} />
      {history.data && (
        <Table striped withTableBorder aria-label="Runs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Run</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Progress</Table.Th>
              <Table.Th>Started</Table.Th>
              <Table.Th>Ended</Table.Th>
              <Table.Th>Log</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {history.data.jobs.map((r) => (
              <Table.Tr key={r.run_id}>
                <Table.Td>
                  <Code>{r.run_id.slice(0, 8)}</Code>
                </Table.Td>
                <Table.Td>
                  <Badge color={statusColor(r.status)}>{r.status}</Badge>
                </Table.Td>
                <Table.Td>
                  {r.done}/{r.total} ({r.failed} failed)
                </Table.Td>
                <Table.Td>{when(r.start_time)}</Table.Td>
                <Table.Td>{when(r.end_time)}</Table.Td>
                <Table.Td>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() => setRun(r.run_id)}
                    aria-pressed={shownRun === r.run_id}
                  >
                    Show log
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <OffsetPager offset={offset} limit={10} total={history.data?.total} onChange={setOffset} label="Runs" />
      {id && shownRun && (
        <RunLog
          instanceId={id}
          jobId={jobId}
          runId={shownRun}
          live={shownRun === last?.run_id && active(last?.status)}
        />
      )}
    </Stack>
  );
}

interface LogLine {
  time: string;
  level: string;
  message: string;
}

function RunLog({
  instanceId,
  jobId,
  runId,
  live,
}: {
  instanceId: string;
  jobId: string;
  runId: string;
  live: boolean;
}) {
  const q = useInfiniteQuery({
    queryKey: ['job-log', instanceId, jobId, runId, live], // read again once the run ends
    queryFn: ({ pageParam }) =>
      api<{ logs: LogLine[]; page_info?: { next_marker?: string }; next_marker?: string }>(
        inst(instanceId, `/lf-jobs/${enc(jobId)}/runs/${enc(runId)}/logs`),
        { query: { limit: 200, marker: pageParam } },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.page_info?.next_marker ?? last.next_marker ?? undefined,
    refetchInterval: live ? 1000 : false,
  });
  const lines = q.data?.pages.flatMap((p) => p.logs) ?? [];
  return (
    <Stack gap="xs">
      <Title order={2} size="h4">
        Log of run {runId.slice(0, 8)}
      </Title>
      <ErrorAlert error={q.error} />
      {q.isPending ? (
        <Loading label="Loading log" />
      ) : (
        <ScrollArea.Autosize mah={360} type="auto">
          <Code block aria-label="Run log" tabIndex={0}>
            {lines.map((l) => `${l.time}  ${l.level.padEnd(5)}  ${l.message}`).join('\n') || 'no log lines yet'}
          </Code>
        </ScrollArea.Autosize>
      )}
      {q.hasNextPage && (
        <Button size="xs" variant="default" onClick={() => q.fetchNextPage()}>
          More log lines
        </Button>
      )}
    </Stack>
  );
}
