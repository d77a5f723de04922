import {
  Alert,
  Button,
  Center,
  Code,
  Group,
  Loader,
  Modal,
  Stack,
  Table,
  type TableTrProps,
  Text,
} from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useState } from 'react';
import { errorText } from './api';
import type { PageInfo } from './types';

export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" role="alert" title={title}>
      {errorText(error)}
    </Alert>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <Center p="md">
      <Loader size="sm" aria-label={label} />
      <Text ml="sm" size="sm">
        {label}…
      </Text>
    </Center>
  );
}

/** Keyset paging state: a page is fetched by marker; the server says whether a next or previous page exists. */
export function useKeyset() {
  const [page, setPage] = useState<{ marker?: string; reverse: boolean }>({ reverse: false });
  return {
    query: { marker: page.marker, reverse_page: page.reverse ? true : undefined },
    key: [page.marker ?? '', page.reverse] as const,
    next: (info?: PageInfo) => info?.next_marker && setPage({ marker: info.next_marker, reverse: false }),
    prev: (info?: PageInfo) => info?.previous_marker && setPage({ marker: info.previous_marker, reverse: true }),
    reset: () => setPage({ reverse: false }),
  };
}

export function Pager({
  info,
  keyset,
  label,
}: {
  info?: PageInfo;
  keyset: ReturnType<typeof useKeyset>;
  label: string;
}) {
  return (
    <Group gap="xs" aria-label={`${label} pages`} role="group">
      <Button size="xs" variant="default" disabled={!info?.previous_marker} onClick={() => keyset.prev(info)}>
        Previous page
      </Button>
      <Button size="xs" variant="default" disabled={!info?.next_marker} onClick={() => keyset.next(info)}>
        Next page
      </Button>
    </Group>
  );
}

/** Paging through listings that give only a next marker: Older follows it, Newer goes back to the markers seen. */
export function useMarkerStack() {
  const [markers, setMarkers] = useState<string[]>([]);
  return {
    marker: markers[markers.length - 1] as string | undefined,
    atNewest: markers.length === 0,
    older: (next?: string) => next && setMarkers([...markers, next]),
    newer: () => setMarkers(markers.slice(0, -1)),
    reset: () => setMarkers([]),
  };
}

export function MarkerStackPager({
  stack,
  next,
  label,
}: {
  stack: ReturnType<typeof useMarkerStack>;
  next?: string;
  label: string;
}) {
  return (
    <Group gap="xs" role="group" aria-label={`${label} pages`}>
      <Button size="xs" variant="default" disabled={stack.atNewest} onClick={() => stack.newer()}>
        Newer
      </Button>
      <Button size="xs" variant="default" disabled={!next} onClick={() => stack.older(next)}>
        Older
      </Button>
    </Group>
  );
}

/**
 * A page of a listing: the query's error, a loader until its first answer, the table, a note when the page is
 * empty (below the table, or with `emptyInsteadOfTable` in its place), then the pager.
 */
export function PagedTable<R>({
  query,
  label,
  loadingLabel,
  columns,
  rows,
  rowKey,
  cells,
  rowProps,
  empty,
  emptyInsteadOfTable = false,
  striped = true,
  highlightOnHover,
  busy,
  pager,
}: {
  query: { error: unknown; isPending: boolean };
  /** The table's accessible name. */
  label: string;
  loadingLabel: string;
  columns: string[];
  /** The page's rows; undefined before an answer (then no empty note shows). */
  rows: R[] | undefined;
  rowKey: (r: R) => string | number;
  /** The row's Table.Td cells. */
  cells: (r: R) => ReactNode;
  rowProps?: (r: R) => TableTrProps;
  empty?: string;
  emptyInsteadOfTable?: boolean;
  striped?: boolean;
  highlightOnHover?: boolean;
  busy?: boolean;
  pager: ReactNode;
}) {
  const note =
    empty !== undefined && rows?.length === 0 ? (
      <Text size="sm" c="dimmed">
        {empty}
      </Text>
    ) : null;
  return (
    <>
      <ErrorAlert error={query.error} />
      {query.isPending ? (
        <Loading label={loadingLabel} />
      ) : emptyInsteadOfTable && note ? (
        note
      ) : (
        <Table
          striped={striped}
          withTableBorder
          highlightOnHover={highlightOnHover}
          aria-label={label}
          aria-busy={busy}
        >
          <Table.Thead>
            <Table.Tr>
              {columns.map((c) => (
                <Table.Th key={c}>{c}</Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(rows ?? []).map((r) => (
              <Table.Tr key={rowKey(r)} {...rowProps?.(r)}>
                {cells(r)}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {emptyInsteadOfTable ? null : note}
      {pager}
    </>
  );
}

/** Offset paging for the operations that page by offset and give a total. */
export function OffsetPager({
  offset,
  limit,
  total,
  onChange,
  label,
}: {
  offset: number;
  limit: number;
  total?: number;
  onChange: (o: number) => void;
  label: string;
}) {
  return (
    <Group gap="xs" role="group" aria-label={`${label} pages`}>
      <Button size="xs" variant="default" disabled={offset === 0} onClick={() => onChange(Math.max(0, offset - limit))}>
        Previous page
      </Button>
      <Text size="sm">
        {total === undefined
          ? ''
          : total === 0
            ? 'none'
            : `${offset + 1}–${Math.min(offset + limit, total)} of ${total}`}
      </Text>
      <Button
        size="xs"
        variant="default"
        disabled={total === undefined || offset + limit >= total}
        onClick={() => onChange(offset + limit)}
      >
        Next page
      </Button>
    </Group>
  );
}

export function KeyValues({ data, label }: { data: Record<string, unknown> | undefined; label: string }) {
  const entries = Object.entries(data ?? {});
  if (!entries.length)
    return (
      <Text size="sm" c="dimmed">
        No {label.toLowerCase()}.
      </Text>
    );
  return (
    <Table striped withTableBorder aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Key</Table.Th>
          <Table.Th>Value</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entries.map(([k, v]) => (
          <Table.Tr key={k}>
            <Table.Td>
              <Code>{k}</Code>
            </Table.Td>
            <Table.Td style={{ wordBreak: 'break-all' }}>{typeof v === 'string' ? v : JSON.stringify(v)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <Code block aria-label={label} style={{ maxHeight: 400, overflow: 'auto' }} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </Code>
  );
}

/**
 * A dialog whose form calls the API; the API's own error message shows in it as it comes, and on success the
 * listed query keys are refreshed.
 */
export function ActionModal({
  opened,
  onClose,
  title,
  submit,
  children,
  invalidate,
  submitLabel = 'Save',
  color,
  onDone,
}: {
  opened: boolean;
  onClose: () => void;
  title: string;
  submit: () => Promise<unknown>;
  children?: ReactNode;
  invalidate?: unknown[][];
  submitLabel?: string;
  color?: string;
  onDone?: (result: unknown) => void;
}) {
  const queryClient = useQueryClient();
  const m = useMutation({
    mutationFn: submit,
    onSuccess: async (result) => {
      await Promise.all((invalidate ?? []).map((queryKey) => queryClient.invalidateQueries({ queryKey })));
      onClose();
      onDone?.(result);
    },
  });
  const close = () => {
    m.reset();
    onClose();
  };
  return (
    <Modal opened={opened} onClose={close} title={title} size="lg">
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          m.mutate();
        }}
      >
        <Stack>
          {children}
          {m.error && <ErrorAlert error={m.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button type="submit" loading={m.isPending} color={color}>
              {submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function useToggle(): [boolean, () => void, () => void] {
  const [v, set] = useState(false);
  return [v, () => set(true), () => set(false)];
}

/** Lines of `key=value` into a map, as dialogs take properties. */
export function parseProps(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const i = t.indexOf('=');
    if (i < 0) out[t] = '';
    else out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}
export const formatProps = (p?: Record<string, string>) =>
  Object.entries(p ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');

export function when(iso?: string | number) {
  if (iso === undefined || iso === '') return '';
  const d = typeof iso === 'number' ? new Date(iso) : new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}
