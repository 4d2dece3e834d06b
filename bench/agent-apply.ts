import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { InventoryStore, KubeClient, Syncer } from '#kube';
import { type PlannedApplication, prepareObjects, ResourceScopes } from '#plans';
import type { KubeObject } from '#sources';
import {
  createRedisPrefix,
  createTestDatabase,
  eventually,
  freePort,
  hubClient,
  type KubeApiServer,
  startAgent,
  startGitHttpServer,
  startHub,
  startKubeApiServers,
  TestRepository,
} from '../test/support/index.js';
import { sized } from './common.js';

/**
 * Agent apply: 1,000 objects (10 namespaces of ConfigMaps, Secrets, ServiceAccounts,
 * Services and Deployments, with their Namespace objects) server-side applied to a real
 * kube-apiserver by `Syncer.apply` (the agent's code path, in this process, BENCH_CONCURRENCY
 * requests in flight as the agent's default) and, as the baseline, by `kubectl apply
 * --server-side` on the same manifests (a YAML file; one fresh kubectl process per run),
 * also with `--validate=false`. Each applier has its own API server, started alike, and
 * round i applies the same objects (same names) to each: every run meets exactly the same
 * server state (the objects of the earlier rounds) and no applier's objects sit in another's
 * etcd. Each round starts with the next applier. After each run every object is counted on
 * the server; wall time, the applier's CPU and the API server's (kube-apiserver + etcd) CPU
 * are recorded.
 *
 * Then the agent's memory: a real hub (Postgres, Redis), a registered cluster, the real
 * agent process (production intervals) with a bootstrap token, long-polling for
 * BENCH_IDLE_SECONDS (10): its VmRSS and VmHWM. Then an ApplicationSet (git over loopback)
 * gives it a plan of the same 1,000 objects: its apply time, its memory while applying
 * (VmRSS sampled every 50 ms, and VmHWM), after it and after its first refresh. The agent
 * runs as it ships (the bundle of `npm run agent`, its V8 flags); FLOTILLA_AGENT_ENTRY=src
 * runs the unbundled dist/apps/agent/src/main.js and FLOTILLA_AGENT_NODE_FLAGS other V8
 * flags (test/support/agent.ts). BENCH_ROUNDS=0 measures only the agent process.
 * Prints one JSON line.
 */

const NAMESPACES = sized('BENCH_NAMESPACES', 10, 1);
const ROUNDS = sized('BENCH_ROUNDS', 3, 1);
/** A baseline whose first round takes longer than this is not run again (see the rounds loop). */
const SLOW_BASELINE_SECONDS = 60;
const IDLE_SECONDS = sized('BENCH_IDLE_SECONDS', 10, 2);
/** The agent's poll, refresh and heartbeat interval: production's 30 s (smoke: 3 s, to see a refresh quickly). */
const AGENT_INTERVAL_SECONDS = sized('BENCH_AGENT_INTERVAL_SECONDS', 30, 3);
/** The agent's default (FLOTILLA_APPLY_CONCURRENCY). */
const CONCURRENCY = sized('BENCH_CONCURRENCY', 16, 16);
/**
 * Components per namespace, each a Deployment, Service, ServiceAccount, Secret and two
 * ConfigMaps; with the Namespace and 3 namespace-wide ConfigMaps, 100 objects per namespace
 * (smoke: 1 component, 10 objects).
 */
const COMPONENTS = sized('BENCH_COMPONENTS', 16, 1);
const RUN_LABEL = 'flotilla-bench/run';
const KINDS = 'namespaces,configmaps,secrets,serviceaccounts,services,deployments.apps';
const KUBECTL = '/usr/bin/kubectl';
/** Where the in-process Syncer keeps its inventories (the agent process below uses its own, flotilla-system). */
const INVENTORY_NAMESPACE = 'flotilla-bench';
const ADMIN = 'bench-agent-apply-admin-token-0123456789abcdef';

const began = performance.now();
/** Progress on stderr with BENCH_VERBOSE set (stdout holds only the result line). */
const progress = (message: string): void => {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`[agent-apply ${((performance.now() - began) / 1000).toFixed(1)} s] ${message}\n`);
};

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** The objects of one run, as they are in git (no tracking metadata yet): 100 per namespace. */
function manifests(run: string, namespaces = NAMESPACES): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let n = 0; n < namespaces; n++) {
    const namespace = `${run}-team-${String(n).padStart(2, '0')}`;
    const labels = (name: string, component = name) => ({
      'app.kubernetes.io/name': component,
      'app.kubernetes.io/instance': `${component}-${namespace}`,
      'app.kubernetes.io/part-of': `team-${n}`,
      [RUN_LABEL]: run,
    });
    const object = (apiVersion: string, kind: string, name: string, component: string, body: Record<string, unknown>) =>
      objects.push({ apiVersion, kind, metadata: { name, namespace, labels: labels(name, component) }, ...body } as KubeObject);
    objects.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: namespace, labels: { 'team.example.com/name': `team-${n}`, [RUN_LABEL]: run } },
    } as KubeObject);
    object('v1', 'ConfigMap', 'feature-flags', 'shared', {
      data: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`flag-${i}`, String(i % 3 === 0)])),
    });
    object('v1', 'ConfigMap', 'logging', 'shared', {
      data: {
        'log-level': 'info',
        'log-format': 'json',
        'sampling-rate': '0.1',
        'fluent-bit.conf': '[OUTPUT]\n  Name stdout\n  Match *\n',
      },
    });
    object('v1', 'ConfigMap', 'trusted-ca', 'shared', {
      data: {
        'ca.crt': `-----BEGIN CERTIFICATE-----\n${'MIIBszCCAVmgAwIBAgIUZ'
          .repeat(40)
          .match(/.{1,64}/g)
          ?.join('\n')}\n-----END CERTIFICATE-----\n`,
      },
    });
    for (let c = 0; c < COMPONENTS; c++) {
      const name = `svc-${String(c).padStart(2, '0')}`;
      object('v1', 'ServiceAccount', name, name, { automountServiceAccountToken: false });
      object('v1', 'Secret', `${name}-credentials`, name, {
        type: 'Opaque',
        data: {
          username: b64(`${name}-user`),
          password: b64(`${namespace}-${name}-s3cr3t-${c * 7919}`),
          'database-url': b64(`postgresql://${name}-user@db.${namespace}.svc:5432/${name.replace('-', '_')}`),
        },
      });
      object('v1', 'ConfigMap', `${name}-config`, name, {
        data: {
          'application.yaml': [
            'server:',
            '  port: 8080',
            '  shutdown: graceful',
            'management:',
            '  port: 9090',
            '  endpoints: [health, metrics, info]',
            `upstreams:${Array.from({ length: 8 }, (_, i) => `\n  - name: dep-${i}\n    url: http://svc-${String((c + i + 1) % COMPONENTS).padStart(2, '0')}.${namespace}.svc:8080\n    timeoutMs: ${500 + i * 100}`).join('')}`,
            `cache:\n  ttlSeconds: ${60 * (c + 1)}\n  maxEntries: 10000`,
          ].join('\n'),
        },
      });
      object('v1', 'ConfigMap', `${name}-env`, name, {
        data: {
          SERVICE_NAME: name,
          NAMESPACE: namespace,
          HTTP_PORT: '8080',
          METRICS_PORT: '9090',
          LOG_LEVEL: 'info',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4317',
          OTEL_SERVICE_NAME: `${namespace}.${name}`,
          JAVA_TOOL_OPTIONS: '-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError',
          FEATURE_SET: `v${c % 4}`,
          REGION: 'eu-west-1',
        },
      });
      // The test server has a /24 service range (one per API server, shared by every round):
      // one Service in four gets a cluster IP, the others are headless.
      object('v1', 'Service', name, name, {
        spec: {
          ...(c % 4 === 0 ? { type: 'ClusterIP' } : { clusterIP: 'None' }),
          selector: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-${namespace}` },
          ports: [
            { name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' },
            { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' },
          ],
        },
      });
      object('apps/v1', 'Deployment', name, name, {
        spec: {
          replicas: 2,
          revisionHistoryLimit: 5,
          selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': `${name}-${namespace}` } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
          template: {
            metadata: {
              labels: labels(name),
              annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090' },
            },
            spec: {
              serviceAccountName: name,
              securityContext: { runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 },
              containers: [
                {
                  name: 'app',
                  image: `registry.example.com/team-${n}/${name}:1.${c}.3`,
                  ports: [
                    { name: 'http', containerPort: 8080 },
                    { name: 'metrics', containerPort: 9090 },
                  ],
                  envFrom: [{ configMapRef: { name: `${name}-env` } }],
                  env: [
                    { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: `${name}-credentials`, key: 'password' } } },
                    { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `${name}-credentials`, key: 'database-url' } } },
                  ],
                  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
                  readinessProbe: { httpGet: { path: '/health/ready', port: 'metrics' }, periodSeconds: 5 },
                  livenessProbe: { httpGet: { path: '/health/live', port: 'metrics' }, initialDelaySeconds: 10 },
                  volumeMounts: [
                    { name: 'config', mountPath: '/etc/app', readOnly: true },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              volumes: [
                { name: 'config', configMap: { name: `${name}-config` } },
                { name: 'tmp', emptyDir: {} },
              ],
            },
          },
        },
      });
    }
  }
  return objects;
}

/** The Application of one run, its objects prepared as the hub's planner prepares them (tracking metadata, apply order). */
function application(run: string, namespaces = NAMESPACES): PlannedApplication {
  const name = `bench-${run}`;
  const namespace = `${run}-team-00`;
  const objects = prepareObjects(manifests(run, namespaces), {
    application: name,
    applicationSet: 'bench',
    namespace,
    scopes: new ResourceScopes(),
  });
  return { name, applicationSet: 'bench', project: 'default', namespace, commit: 'bench', sources: [], syncPolicy: {}, objects };
}

const toYaml = (objects: readonly KubeObject[]): string => objects.map((o) => stringify(o)).join('---\n');

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

function statusMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(field));
  return Number(line?.replace(/\D+/g, '') ?? 0) / 1024;
}

/**
 * CPU time (user + system) of a process in ms, or of its finished (waited-for) children
 * with `children`; /proc counts in clock ticks of 10 ms on Linux.
 */
function cpuMs(pid: number | 'self', children = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return children ? (Number(fields[13]) + Number(fields[14])) * 10 : (Number(fields[11]) + Number(fields[12])) * 10;
}

/** CPU ms of an API server's kube-apiserver and etcd (their pid files are in its work directory). */
const serverCpuMs = (server: KubeApiServer): number =>
  ['kube-apiserver.pid', 'etcd.pid'].reduce((sum, file) => sum + cpuMs(Number(readFileSync(join(server.workDir, file), 'utf8').trim())), 0);

/** Objects of the run on the server, whatever applied them. */
const count = (server: KubeApiServer, run: string): number =>
  server
    .kubectl('get', KINDS, '--all-namespaces', '-l', `${RUN_LABEL}=${run}`, '-o', 'name')
    .split('\n')
    .filter((line) => line.trim()).length;

interface Applied {
  seconds: number;
  /** Objects the applier reported as failed (kubectl: its error lines). */
  failed: number;
  /** CPU the applier used: this process for the Syncer, the kubectl process for kubectl. */
  clientCpuSeconds: number;
}

interface Run extends Applied {
  round: number;
  /** CPU the API server (kube-apiserver + etcd) used meanwhile. */
  serverCpuSeconds: number;
  /** Objects of the run found on the server afterwards. */
  counted: number;
}

/** `kubectl apply --server-side` of the file, as a fresh process (as it is used); wall time from spawn to exit. */
function kubectlApply(server: KubeApiServer, file: string, extra: string[] = []): Promise<Applied> {
  const args = ['--kubeconfig', server.kubeconfigPath, '--cache-dir', join(server.workDir, 'kubectl-cache')];
  args.push('apply', '--server-side', '--field-manager=kubectl-bench', ...extra, '-f', file);
  return new Promise((resolve, reject) => {
    const cpuBefore = cpuMs('self', true);
    const started = performance.now();
    const child = spawn(KUBECTL, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const errors = stderr.split('\n').filter((line) => /^error/i.test(line)).length;
      if (stderr.trim()) process.stderr.write(`kubectl: ${stderr.trim().slice(0, 2000)}\n`);
      resolve({ seconds, failed: code === 0 ? errors : Math.max(1, errors), clientCpuSeconds: (cpuMs('self', true) - cpuBefore) / 1000 });
    });
  });
}

/** `Syncer.apply` of the run's Application, with a new client (discovery included), as a new agent would. */
async function syncerApply(server: KubeApiServer, app: PlannedApplication): Promise<Applied> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const api = new KubeClient(server.kubeConfig);
  const result = await new Syncer(api, new InventoryStore(api, INVENTORY_NAMESPACE), { concurrency: CONCURRENCY }).apply(app);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  api.close();
  const failed = result.objects.filter((o) => o.sync !== 'Synced');
  for (const o of failed.slice(0, 5)) process.stderr.write(`syncer: ${o.kind} ${o.namespace ?? ''}/${o.name}: ${o.message}\n`);
  return {
    seconds,
    failed: failed.length + Math.max(0, (app.objects?.length ?? 0) - result.objects.length),
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** RSS of a bare Node process (same binary, nothing loaded), for scale. */
function bareNodeRssMiB(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    child.on('error', reject);
    setTimeout(() => {
      const rss = statusMiB(child.pid as number, 'VmRSS');
      child.kill('SIGKILL');
      resolve(rss);
    }, 2_000);
  });
}

interface AgentLog {
  message: string;
  ms?: number;
  objects?: number;
  outOfSync?: string[];
}

interface Side {
  key: 'agent' | 'kubectl' | 'kubectlNoValidate';
  server: KubeApiServer;
  apply(app: PlannedApplication, file: string): Promise<Applied>;
  runs: Run[];
}

async function main(): Promise<void> {
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => void cleanups.push(fn) };
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-agent-apply-'));
  try {
    // One API server per applier, started alike: round i meets the same server state on each.
    const [agentServer, kubectlServer, noValidateServer] = (await startKubeApiServers(t, 3)) as [
      KubeApiServer,
      KubeApiServer,
      KubeApiServer,
    ];
    agentServer.kubectl('create', 'namespace', INVENTORY_NAMESPACE);
    progress('API servers started');
    const sides: Side[] = [
      { key: 'agent', server: agentServer, apply: (app) => syncerApply(agentServer, app), runs: [] },
      { key: 'kubectl', server: kubectlServer, apply: (_, file) => kubectlApply(kubectlServer, file), runs: [] },
      // kubectl without its client-side schema work per object (kubernetes/kubernetes#127095).
      {
        key: 'kubectlNoValidate',
        server: noValidateServer,
        apply: (_, file) => kubectlApply(noValidateServer, file, ['--validate=false']),
        runs: [],
      },
    ];

    // Warm-up, not timed: the servers' first requests, kubectl's discovery cache, this process's JIT.
    const warm = application('warm', 1);
    writeFileSync(join(work, 'warm.yaml'), toYaml(warm.objects ?? []));
    if (ROUNDS > 0) for (const side of sides) await side.apply(warm, join(work, 'warm.yaml'));

    let objects = application('count', 1).objects?.length ?? 0;
    objects *= NAMESPACES;
    for (let round = 1; round <= ROUNDS; round++) {
      const run = `r${round}`;
      const app = application(run);
      objects = app.objects?.length ?? 0;
      const file = join(work, `${run}.yaml`);
      writeFileSync(file, toYaml(app.objects ?? []));
      // Each round starts with the next side: every side goes first, second and last once in three rounds.
      for (let i = 0; i < sides.length; i++) {
        const side = sides[(round - 1 + i) % sides.length] as Side;
        // A baseline this slow is measured once: more rounds would not move the verdict, and
        // kubectl with validation took 83 s a run on session 8's machine, half of the suite.
        if (side.key !== 'agent' && (side.runs[0]?.seconds ?? 0) > SLOW_BASELINE_SECONDS) continue;
        const serverBefore = serverCpuMs(side.server);
        const applied = await side.apply(app, file);
        const serverCpuSeconds = (serverCpuMs(side.server) - serverBefore) / 1000;
        side.runs.push({ round, ...applied, serverCpuSeconds, counted: count(side.server, run) });
        progress(`round ${round}: ${side.key} ${JSON.stringify(side.runs.at(-1))}`);
      }
    }
    const summary = (runs: Run[]) => {
      const seconds = median(runs.map((r) => r.seconds));
      return {
        runs,
        medianSeconds: seconds,
        objectsPerSecond: objects / seconds,
        medianClientCpuSeconds: median(runs.map((r) => r.clientCpuSeconds)),
        medianServerCpuSeconds: median(runs.map((r) => r.serverCpuSeconds)),
        errors: runs.reduce((n, r) => n + r.failed + Math.max(0, objects - r.counted), 0),
      };
    };
    const [agent, kubectl, kubectlNoValidate] = sides.map((side) => summary(side.runs)) as [
      ReturnType<typeof summary>,
      ReturnType<typeof summary>,
      ReturnType<typeof summary>,
    ];

    // The agent process: a real hub, registration with a bootstrap token, long-polling.
    const databaseUrl = await createTestDatabase(t);
    const redis = createRedisPrefix(t);
    const hub = await startHub(t, {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      FLOTILLA_REDIS_PREFIX: redis.prefix,
      FLOTILLA_ADMIN_TOKEN: ADMIN,
      FLOTILLA_CACHE_DIR: join(work, 'cache'),
      FLOTILLA_GIT_POLL_SECONDS: '0',
    });
    const admin = hubClient(hub.url, ADMIN);
    const created = await admin.post('/api/v1/clusters', { name: 'bench', server: agentServer.server, labels: { bench: 'agent-apply' } });
    if (created.status !== 201) throw new Error(`registering the cluster: ${created.status} ${JSON.stringify(created.body)}`);
    const token = (await admin.post('/api/v1/clusters/bench/bootstrap-tokens', {})).body.token as string;
    // As deployed: the production intervals (not the test helper's short ones), the metrics server on.
    const agentProcess = startAgent(t, {
      hubUrl: hub.url,
      kubeconfig: agentServer.kubeconfigPath,
      bootstrapToken: token,
      env: {
        FLOTILLA_POLL_SECONDS: String(AGENT_INTERVAL_SECONDS),
        FLOTILLA_REFRESH_SECONDS: String(AGENT_INTERVAL_SECONDS),
        FLOTILLA_HEARTBEAT_SECONDS: String(AGENT_INTERVAL_SECONDS),
        FLOTILLA_METRICS_PORT: String(await freePort()),
      },
    });
    const pid = agentProcess.process.pid as number;
    /** Waits for the agent to log something; a failure shows what it did log. */
    const agentLogged = <T>(what: string, find: (entry: AgentLog) => T | undefined, timeoutMs: number): Promise<T> =>
      eventually(
        async () => {
          if (agentProcess.process.exitCode !== null) throw new Error(`the agent exited (${agentProcess.process.exitCode})`);
          for (const line of agentProcess.output().split('\n')) {
            if (!line.startsWith('{')) continue;
            const found = find(JSON.parse(line) as AgentLog);
            if (found !== undefined) return found;
          }
          return undefined;
        },
        timeoutMs,
        what,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nagent output:\n${agentProcess.output().slice(-4000)}`);
      });
    await agentLogged('registration', (entry) => (entry.message === 'registered with the hub' ? true : undefined), 60_000);
    await sleep(IDLE_SECONDS * 1000);
    const idle = { rssMiB: statusMiB(pid, 'VmRSS'), hwmMiB: statusMiB(pid, 'VmHWM') };
    progress(`agent idle: ${JSON.stringify(idle)}`);

    // A plan of the same 1,000 objects, from git through an ApplicationSet.
    const repo = TestRepository.init(join(work, 'git', 'apps.git'));
    repo.commit({ 'bench/objects.yaml': toYaml(manifests('plan')) });
    const git = await startGitHttpServer(join(work, 'git'));
    t.after(() => git.close());
    const appSet = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: bench, namespace: argocd}
spec:
  generators: [{clusters: {selector: {matchLabels: {bench: agent-apply}}}}]
  template:
    metadata: {name: 'bench-{{name}}'}
    spec:
      project: default
      source: {repoURL: '${git.url('apps.git')}', targetRevision: main, path: bench}
      destination: {server: '{{server}}', namespace: plan-team-00}
      syncPolicy: {automated: {prune: true}}
`;
    // VmRSS while the agent receives and applies the plan (its peak also shows in VmHWM).
    let peakRssMiB = 0;
    const sampler = setInterval(() => {
      peakRssMiB = Math.max(peakRssMiB, statusMiB(pid, 'VmRSS'));
    }, 50);
    const cpuBefore = cpuMs(pid);
    const changedAt = performance.now();
    const put = await admin.put('/api/v1/applicationsets', appSet, 'application/yaml');
    if (put.status !== 200 && put.status !== 201) throw new Error(`PUT ApplicationSet: ${put.status} ${JSON.stringify(put.body)}`);
    const applied = await agentLogged(
      'the plan applied',
      (entry) => (entry.message === 'plan applied' && (entry.objects ?? 0) > 0 ? entry : undefined),
      300_000,
    );
    const endToEndSeconds = (performance.now() - changedAt) / 1000;
    clearInterval(sampler);
    const whileApplying = { peakRssMiB, hwmMiB: statusMiB(pid, 'VmHWM'), cpuSeconds: (cpuMs(pid) - cpuBefore) / 1000 };
    const planCounted = count(agentServer, 'plan');
    progress(`plan applied by the agent in ${endToEndSeconds.toFixed(1)} s: ${JSON.stringify(applied)}`);
    await sleep(IDLE_SECONDS * 1000);
    const afterApply = { rssMiB: statusMiB(pid, 'VmRSS'), hwmMiB: statusMiB(pid, 'VmHWM') };
    // Past the first refresh (every 30 s: each object read back for health and drift).
    await sleep(Math.max(0, AGENT_INTERVAL_SECONDS + 5 - IDLE_SECONDS) * 1000);
    const afterRefresh = { rssMiB: statusMiB(pid, 'VmRSS'), hwmMiB: statusMiB(pid, 'VmHWM') };

    process.stdout.write(
      `${JSON.stringify({
        scenario: 'agent-apply',
        objects,
        rounds: ROUNDS,
        concurrency: CONCURRENCY,
        agent,
        kubectl,
        kubectlNoValidate,
        ratio: agent.medianSeconds / kubectl.medianSeconds,
        ratioNoValidate: agent.medianSeconds / kubectlNoValidate.medianSeconds,
        agentProcess: {
          bareNodeRssMiB: await bareNodeRssMiB(),
          entry: process.env.FLOTILLA_AGENT_ENTRY === 'src' ? 'dist/apps/agent/src/main.js' : 'bundle (npm run agent)',
          nodeFlags: process.env.FLOTILLA_AGENT_NODE_FLAGS ?? '--max-semi-space-size=1',
          idle,
          whileApplying,
          afterApply,
          afterRefresh,
          plan: {
            objects: applied.objects,
            applySeconds: (applied.ms ?? 0) / 1000,
            endToEndSeconds,
            counted: planCounted,
            outOfSync: applied.outOfSync?.length ?? 0,
          },
        },
      })}\n`,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`cleanup: ${(error as Error).message}\n`);
      }
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
