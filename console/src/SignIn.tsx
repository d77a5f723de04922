import { Alert, Button, Center, Paper, PasswordInput, Stack, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { errorText, signIn } from './api';

export function SignIn() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  const state = location.state as { message?: string; from?: string } | null;
  const [form, setForm] = useState({ userName: '', password: '', domainName: 'default', projectName: 'default' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { currentTarget: { value: string } }) =>
    setForm({ ...form, [k]: e.currentTarget.value });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(form);
      queryClient.clear();
      navigate(state?.from && state.from !== '/signin' ? state.from : '/instances', { replace: true });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center mih="100vh" component="main" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={400}>
        <form onSubmit={submit} aria-labelledby="signin-title">
          <Stack>
            <Title order={1} size="h3" id="signin-title">
              Sign in to lakeform
            </Title>
            {state?.message && !error && (
              <Alert color="yellow" role="status">
                {state.message}
              </Alert>
            )}
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <TextInput
              label="User name"
              required
              autoComplete="username"
              autoFocus
              value={form.userName}
              onChange={set('userName')}
            />
            <PasswordInput
              label="Password"
              required
              autoComplete="current-password"
              value={form.password}
              onChange={set('password')}
            />
            <TextInput label="Domain" required value={form.domainName} onChange={set('domainName')} />
            <TextInput
              label="Project"
              required
              description="The IAM project to work in"
              value={form.projectName}
              onChange={set('projectName')}
            />
            <Button type="submit" loading={busy}>
              Sign in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
