import '@mantine/core/styles.css';
import './contrast.css';
import { type CSSVariablesResolver, createTheme, MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, Navigate, RouterProvider } from 'react-router';
import { ApiError } from './api';
import { Layout } from './Layout';
import { SignIn } from './SignIn';

// Mantine's dimmed grey and error red are below WCAG AA contrast on white; a darker grey keeps secondary text readable.
const resolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    '--mantine-color-error': 'var(--mantine-color-red-8)',
  },
  dark: {},
});

// Shade 8 keeps white on filled colours, and coloured text on light ones, above WCAG AA contrast.
const theme = createTheme({
  primaryShade: 8,
  respectReducedMotion: true,
  components: {
    Badge: { defaultProps: { variant: 'light' } },
    Alert: { styles: { title: { color: 'var(--mantine-color-text)' } } },
  },
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      refetchOnWindowFocus: false,
      // A refusal will not change on retry; a network blip may.
      retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
    },
  },
});

// Each page is its own chunk: the first screen loads only the shell and the page it shows.
const Instances = lazy(() => import('./pages/Instances'));
const Catalogs = lazy(() => import('./pages/Catalogs'));
const TablePage = lazy(() => import('./pages/TablePage'));
const Access = lazy(() => import('./pages/Access'));
const Jobs = lazy(() => import('./pages/Jobs'));
const JobPage = lazy(() => import('./pages/JobPage'));
const Activity = lazy(() => import('./pages/Activity'));
const Alarms = lazy(() => import('./pages/Alarms'));
const Storage = lazy(() => import('./pages/Storage'));

const router = createBrowserRouter(
  [
    { path: '/signin', element: <SignIn /> },
    {
      path: '/',
      element: <Layout />,
      children: [
        { index: true, element: <Navigate to="/instances" replace /> },
        { path: 'instances', element: <Instances /> },
        { path: 'instances/:instance', element: <Instances /> },
        { path: 'i/:instance/catalogs', element: <Catalogs /> },
        { path: 'i/:instance/catalogs/:catalog', element: <Catalogs /> },
        { path: 'i/:instance/catalogs/:catalog/:database', element: <Catalogs /> },
        { path: 'i/:instance/catalogs/:catalog/:database/tables/:table', element: <TablePage /> },
        { path: 'i/:instance/access', element: <Access /> },
        { path: 'i/:instance/jobs', element: <Jobs /> },
        { path: 'i/:instance/jobs/:jobId', element: <JobPage /> },
        { path: 'i/:instance/activity', element: <Activity /> },
        { path: 'i/:instance/alarms', element: <Alarms /> },
        { path: 'i/:instance/storage', element: <Storage /> },
        { path: '*', element: <Navigate to="/instances" replace /> },
      ],
    },
  ],
  { basename: '/console' },
);

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={resolver}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
