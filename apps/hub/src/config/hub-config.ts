import { z } from 'zod';
import { parseSecretKey } from '../secrets/sealing.js';

/**
 * The hub's whole configuration, validated once at boot. Nothing else reads process.env.
 */
const hubConfigSchema = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'must be a redis:// URL')
      .default('redis://127.0.0.1:6379'),
    /** The first admin token; created (hashed) at boot when no admin token exists yet. */
    FLOTILLA_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().default('0.0.0.0'),
    /** Which roles this process runs: api, worker or both. */
    FLOTILLA_ROLES: z
      .string()
      .default('api,worker')
      .transform((value) => value.split(',').map((role) => role.trim()))
      .pipe(z.array(z.enum(['api', 'worker'])).min(1)),
    /** Prefix of every Redis key, so several hubs (or test suites) share one Redis. */
    FLOTILLA_REDIS_PREFIX: z.string().min(1).default('flotilla'),
    /** How often git repositories are polled for new commits (seconds; 0 disables). */
    FLOTILLA_GIT_POLL_SECONDS: z.coerce.number().int().min(0).default(180),
    /** Shared secret that signs git webhooks (X-Hub-Signature-256). */
    FLOTILLA_WEBHOOK_SECRET: z.string().min(16).optional(),
    /**
     * Key that encrypts hub secrets (SCM tokens) at rest: 32 bytes as hex or base64. Without
     * it, secrets cannot be stored and pull request generators can only read public repositories.
     */
    FLOTILLA_SECRET_KEY: z
      .string()
      .optional()
      .transform((text, ctx) => {
        if (text === undefined || text === '') return undefined;
        const key = parseSecretKey(text);
        if (typeof key === 'string') {
          ctx.addIssue({ code: 'custom', message: key });
          return z.NEVER;
        }
        return key;
      }),
    /**
     * How often pull request generators are re-listed when they do not say
     * (`requeueAfterSeconds`); webhooks make it immediate. Argo CD's default is 30 minutes.
     */
    FLOTILLA_PULL_REQUEST_POLL_SECONDS: z.coerce.number().int().min(0).default(1800),
    /** A cluster whose agent has not been heard from for this long is unreachable (seconds). */
    FLOTILLA_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().int().min(5).default(90),
    /**
     * How long a verified agent credential is remembered (seconds). Retired credentials are
     * forgotten at once through Redis; this bounds a replica that missed the announcement.
     */
    FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
    /** How long an agent's long-poll is held before it answers "no change" (seconds). */
    FLOTILLA_LONG_POLL_SECONDS: z.coerce.number().int().min(1).max(300).default(30),
    /** How often the reconciler re-enqueues work Redis lost and checks heartbeats (seconds). */
    FLOTILLA_RECONCILE_SECONDS: z.coerce.number().min(0.1).default(10),
    /**
     * Failed work is tried again after this long, doubling with every consecutive failure up to
     * FLOTILLA_RETRY_MAX_SECONDS: a failed render, and a cluster whose plan has a failed Application
     * (seconds; checked by the reconciler, so no sooner than FLOTILLA_RECONCILE_SECONDS).
     */
    FLOTILLA_RETRY_BASE_SECONDS: z.coerce.number().min(0.1).default(10),
    FLOTILLA_RETRY_MAX_SECONDS: z.coerce.number().min(0.1).default(600),
    /**
     * Plan jobs (250 clusters each) one worker runs at once. Few at a time means the first
     * batches are stored and delivered while later ones are still planned.
     */
    FLOTILLA_PLAN_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /**
     * Applications a worker keeps rendered between renders (about 1 KiB each), so that a cluster
     * change re-renders and re-stores only that cluster's Applications. 0 turns it off.
     */
    FLOTILLA_RENDER_CACHE_APPLICATIONS: z.coerce.number().int().min(0).default(100_000),
    /** `json`: one JSON object per log line (for log pipelines); `text`: Nest's coloured lines. */
    FLOTILLA_LOG_FORMAT: z.enum(['json', 'text']).default('json'),
    /** Skip applying migrations at boot (when a separate job applies them). */
    FLOTILLA_SKIP_MIGRATIONS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** Repository URL prefixes (comma-separated, `*` for all) whose renders may reach the network. */
    FLOTILLA_RENDER_NETWORK_REPOSITORIES: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((prefix) => prefix.trim())
          .filter((prefix) => prefix.length > 0),
      ),
    /**
     * Git credentials by repository URL prefix, as JSON:
     * `[{"urlPrefix": "https://github.com/org/", "username": "x", "password": "token"}]`
     * (or `sshPrivateKeyFile` / `sshKnownHostsFile` for ssh URLs). Never logged.
     */
    FLOTILLA_GIT_CREDENTIALS: z
      .string()
      .default('[]')
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be a JSON list' });
          return z.NEVER;
        }
      })
      .pipe(
        z.array(
          z.strictObject({
            urlPrefix: z.string().min(1),
            username: z.string().optional(),
            password: z.string().optional(),
            sshPrivateKeyFile: z.string().optional(),
            sshKnownHostsFile: z.string().optional(),
          }),
        ),
      ),
    /** Where git repositories and checkouts are cached. */
    FLOTILLA_CACHE_DIR: z.string().default('/tmp/flotilla-cache'),
  })
  .superRefine((config, ctx) => {
    if (config.FLOTILLA_RETRY_MAX_SECONDS < config.FLOTILLA_RETRY_BASE_SECONDS) {
      ctx.addIssue({ code: 'custom', path: ['FLOTILLA_RETRY_MAX_SECONDS'], message: 'must not be less than FLOTILLA_RETRY_BASE_SECONDS' });
    }
  });

export type HubConfig = z.infer<typeof hubConfigSchema> & {
  /** HELM_BIN, KUSTOMIZE_BIN, KUBECTL_BIN and PATH, for the source renderers to find their tools. */
  toolEnvironment: Readonly<Record<string, string | undefined>>;
};

export class ConfigError extends Error {}

export function loadHubConfig(env: Readonly<Record<string, string | undefined>>): HubConfig {
  const result = hubConfigSchema.safeParse(env);
  const { HELM_BIN, KUSTOMIZE_BIN, KUBECTL_BIN, PATH } = env;
  if (result.success) return { ...result.data, toolEnvironment: { HELM_BIN, KUSTOMIZE_BIN, KUBECTL_BIN, PATH } };
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** Nest injection token of the validated configuration. */
export const HUB_CONFIG = Symbol('HUB_CONFIG');
