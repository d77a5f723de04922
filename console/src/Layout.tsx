import { AppShell, Burger, Button, Group, Loader, NavLink, Select, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { Link, Navigate, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { api, lf, session, signOut } from './api';
import type { Instance } from './types';

const INSTANCE_KEY = 'lakeform.console.instance';

const sections = [
  { path: 'catalogs', label: 'Catalogs' },
  { path: 'access', label: 'Access' },
  { path: 'jobs', label: 'Jobs' },
  { path: 'activity', label: 'Activity' },
  { path: 'alarms', label: 'Alarms' },
  { path: 'storage', label: 'Storage' },
];

export function Layout() {
  const s = session();
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const params = useParams();
  const [opened, { toggle }] = useDisclosure();
  const instance = params.instance ?? sessionStorage.getItem(INSTANCE_KEY) ?? 'default';

  useEffect(() => {
    if (params.instance) sessionStorage.setItem(INSTANCE_KEY, params.instance);
  }, [params.instance]);
  useEffect(() => {
    const onExpired = () => {
      queryClient.clear();
      navigate('/signin', { state: { message: 'Your session has expired. Sign in again.', from: location.pathname } });
    };
    window.addEventListener('lakeform:expired', onExpired);
    return () => window.removeEventListener('lakeform:expired', onExpired);
  }, [navigate, queryClient, location.pathname]);

  const instances = useQuery({
    queryKey: ['instances', 'picker'],
    queryFn: () => api<{ instances: Instance[] }>(lf('/instances'), { query: { limit: 100 } }),
    enabled: Boolean(s),
  });

  if (!s) return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  const section = location.pathname.split('/')[3];
  const options = [
    { value: 'default', label: 'default instance' },
    ...(instances.data?.instances ?? [])
      .filter((i) => !i.in_recycle_bin)
      .map((i) => ({ value: i.instance_id, label: i.name })),
  ];

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4">
              <Link to="/instances" style={{ color: 'inherit', textDecoration: 'none' }}>
                lakeform
              </Link>
            </Title>
            <Select
              aria-label="Instance"
              size="xs"
              w={220}
              data={options}
              value={instance}
              allowDeselect={false}
              onChange={(v) =>
                v && navigate(`/i/${v}/${section && sections.some((x) => x.path === section) ? section : 'catalogs'}`)
              }
            />
          </Group>
          <Group wrap="nowrap">
            <Text size="sm" c="dimmed" data-testid="whoami">
              {s.userName} · project {s.projectName}
            </Text>
            <Button
              size="xs"
              variant="default"
              onClick={async () => {
                await signOut();
                queryClient.clear();
                navigate('/signin', { replace: true });
              }}
            >
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Console">
        <NavLink
          component={Link}
          to="/instances"
          label="Instances"
          active={location.pathname.startsWith('/instances')}
        />
        {sections.map((x) => (
          <NavLink
            key={x.path}
            component={Link}
            to={`/i/${instance}/${x.path}`}
            label={x.label}
            active={location.pathname.startsWith('/i/') && section === x.path}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Suspense fallback={<Loader aria-label="Loading page" />}>
          <Outlet />
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
