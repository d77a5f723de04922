import { useQuery } from '@tanstack/react-query';
import { api, lf } from './api';
import type { Instance } from './types';

/**
 * The instance's id: LakeCat paths take `default`, but jobs and a few others need the id itself, so `default` is
 * looked up among the project's instances (the default one is flagged).
 */
export function useInstanceId(instance: string): { id?: string; error: unknown; pending: boolean } {
  const q = useQuery({
    queryKey: ['instances', 'default-id'],
    enabled: instance === 'default',
    queryFn: async () => {
      const r = await api<{ instances: Instance[] }>(lf('/instances'), { query: { limit: 100 } });
      const d = r.instances.find((i) => i.default_instance);
      if (!d) throw new Error('The project has no default instance: create one on the Instances page.');
      return d.instance_id;
    },
  });
  if (instance !== 'default') return { id: instance, error: null, pending: false };
  return { id: q.data, error: q.error, pending: q.isPending };
}
