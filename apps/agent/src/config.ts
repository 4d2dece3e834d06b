import { existsSync, readFileSync } from 'node:fs';

const IN_CLUSTER_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** What one variable may hold; `undefined` when it is fine, else what is wrong with it. */
type Check = (value: string) => string | undefined;

const url: Check = (value) => {
  try {
    const parsed = new URL(value);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? undefined : 'Invalid URL (http or https)';
  } catch {
    return 'Invalid URL';
  }
};
const number =
  (min: number, max = Number.POSITIVE_INFINITY, integer = false): Check =>
  (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) return `Invalid input: expected number, received "${value}"`;
    if (integer && !Number.isInteger(n)) return 'Invalid input: expected int';
    if (n < min) return `Too small: expected number to be >=${min}`;
    if (n > max) return `Too big: expected number to be <=${max}`;
    return undefined;
  };

/**
 * The variables and their checks, by hand rather than with zod: the agent's memory is a
 * target (issue 5) and zod's schema code costs it several MiB for nine variables.
 */
const VARIABLES = {
  /** The hub's base URL, e.g. https://flotilla.example.com. */
  FLOTILLA_HUB_URL: { check: url, required: true },
  /** One-time token from the admin API; needed only until the agent has stored its credential. */
  FLOTILLA_BOOTSTRAP_TOKEN: {},
  /** Where the agent keeps its credential, last plan and inventories. */
  FLOTILLA_AGENT_NAMESPACE: {},
  /** A kubeconfig file; without it the agent uses its in-cluster service account. */
  KUBECONFIG: {},
  /** How long one long-poll for a new plan may wait (seconds). */
  FLOTILLA_POLL_SECONDS: { check: number(1, 300, true), default: '30' },
  /** How often applied objects are read back for health and drift (seconds). */
  FLOTILLA_REFRESH_SECONDS: { check: number(0.2), default: '30' },
  /** How often the agent tells the hub it is alive (seconds). */
  FLOTILLA_HEARTBEAT_SECONDS: { check: number(0.2), default: '30' },
  /** API requests in flight at once. */
  FLOTILLA_APPLY_CONCURRENCY: { check: number(1, 256, true), default: '16' },
  /** Port of /metrics, /healthz and /readyz; 0 turns them off. */
  FLOTILLA_METRICS_PORT: { check: number(0, 65535, true), default: '8080' },
} satisfies Record<string, { check?: Check; required?: boolean; default?: string }>;

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
  const problems: string[] = [];
  const c = {} as Record<keyof typeof VARIABLES, string | undefined>;
  for (const [name, rule] of Object.entries(VARIABLES) as [
    keyof typeof VARIABLES,
    { check?: Check; required?: boolean; default?: string },
  ][]) {
    // An empty variable counts as unset, as it does for optional ones in a pod spec.
    const value = env[name] || rule.default;
    if (value === undefined) {
      if (rule.required) problems.push(`${name}: Invalid input: expected string, received undefined`);
    } else {
      const problem = rule.check?.(value);
      if (problem) problems.push(`${name}: ${problem}`);
    }
    c[name] = value;
  }
  if (problems.length > 0) throw new Error(`invalid agent configuration:\n  ${problems.join('\n  ')}`);
  const inCluster = existsSync(IN_CLUSTER_NAMESPACE_FILE) ? readFileSync(IN_CLUSTER_NAMESPACE_FILE, 'utf8').trim() : undefined;
  return {
    hubUrl: String(c.FLOTILLA_HUB_URL).replace(/\/+$/, ''),
    ...(c.FLOTILLA_BOOTSTRAP_TOKEN ? { bootstrapToken: c.FLOTILLA_BOOTSTRAP_TOKEN } : {}),
    namespace: c.FLOTILLA_AGENT_NAMESPACE ?? inCluster ?? 'flotilla-system',
    ...(c.KUBECONFIG ? { kubeconfig: c.KUBECONFIG } : {}),
    pollSeconds: Number(c.FLOTILLA_POLL_SECONDS),
    refreshSeconds: Number(c.FLOTILLA_REFRESH_SECONDS),
    heartbeatSeconds: Number(c.FLOTILLA_HEARTBEAT_SECONDS),
    concurrency: Number(c.FLOTILLA_APPLY_CONCURRENCY),
    metricsPort: Number(c.FLOTILLA_METRICS_PORT),
  };
}
