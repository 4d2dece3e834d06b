import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const schema = z.object({
  /** The hub's base URL, e.g. https://flotilla.example.com. */
  FLOTILLA_HUB_URL: z.url(),
  /** One-time token from the admin API; needed only until the agent has stored its credential. */
  FLOTILLA_BOOTSTRAP_TOKEN: z.string().min(1).optional(),
  /** Where the agent keeps its credential, last plan and inventories. */
  FLOTILLA_AGENT_NAMESPACE: z.string().min(1).optional(),
  /** A kubeconfig file; without it the agent uses its in-cluster service account. */
  KUBECONFIG: z.string().min(1).optional(),
  /** How long one long-poll for a new plan may wait (seconds). */
  FLOTILLA_POLL_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
  /** How often applied objects are read back for health and drift (seconds). */
  FLOTILLA_REFRESH_SECONDS: z.coerce.number().min(0.2).default(30),
  /** How often the agent tells the hub it is alive (seconds). */
  FLOTILLA_HEARTBEAT_SECONDS: z.coerce.number().min(0.2).default(30),
  /** API requests in flight at once. */
  FLOTILLA_APPLY_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(16),
  /** Port of /metrics, /healthz and /readyz; 0 turns them off. */
  FLOTILLA_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
});

export interface AgentConfig {
  hubUrl: string;
  bootstrapToken?: string;
  namespace: string;
  kubeconfig?: string;
  pollSeconds: number;
  refreshSeconds: number;
  heartbeatSeconds: number;
  concurrency: number;
  metricsPort: number;
}

/** Reads the agent's configuration from the environment; a bad value names the variable. */
export function loadAgentConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid agent configuration:\n  ${problems.join('\n  ')}`);
  }
  const c = parsed.data;
  const inCluster = existsSync(IN_CLUSTER_NAMESPACE_FILE) ? readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() : undefined;
  return {
    hubUrl: c.FLOTILLA_HUB_URL.replace(/\/+$/, ''),
    ...(c.FLOTILLA_BOOTSTRAP_TOKEN ? { bootstrapToken: c.FLOTILLA_BOOTSTRAP_TOKEN } : {}),
    namespace: c.FLOTILLA_AGENT_NAMESPACE ?? inCluster ?? 'flotilla-system',
    ...(c.KUBECONFIG ? { kubeconfig: c.KUBECONFIG } : {}),
    pollSeconds: c.FLOTILLA_POLL_SECONDS,
    refreshSeconds: c.FLOTILLA_REFRESH_SECONDS,
    heartbeatSeconds: c.FLOTILLA_HEARTBEAT_SECONDS,
    concurrency: c.FLOTILLA_APPLY_CONCURRENCY,
    metricsPort: c.FLOTILLA_METRICS_PORT,
  };
}
