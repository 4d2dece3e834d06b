import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import {
  eventually,
  freePort,
  type GitHttpServer,
  hubClient,
  type KubeApiServer,
  type RunningAgent,
  type RunningHub,
  startAgent,
  startFreshHub,
  startGitHttpServer,
  startHub,
  startKubeApiServers,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * Hub, git server and two real clusters (kube-apiserver + etcd each) with their agents
 * as separate processes: what a cluster owner runs, end to end.
 */

/** ConfigMaps in the bulk Application: enough that an agent with 2 requests in flight is killed half-way. */
const BULK = 300;
const ADMIN_TOKEN = 'e2e-agent-admin-token-0123456789abcdefghijklmnop';

const GUESTBOOK = {
  'guestbook/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-settings}\ndata: {color: blue}\n',
  'guestbook/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-extra}\ndata: {size: small}\n',
  'guestbook/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: guestbook}
spec:
  replicas: 1
  selector: {matchLabels: {app: guestbook}}
  template:
    metadata: {labels: {app: guestbook}}
    spec: {containers: [{name: web, image: 'nginx:1.27'}]}
`,
  'widgets/crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`,
  'widgets/widget.yaml': 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: sprocket}\nspec: {size: 3}\n',
};

const bulk = (count: number): Record<string, string> =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `bulk/cm-${i}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bulk-${i}}\ndata: {index: "${i}"}\n`,
    ]),
  );

const appSet = (name: string, repoURL: string, path: string, selector: string, syncPolicy: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {matchLabels: {${selector}}}}
  template:
    metadata: {name: '${name}-{{name}}'}
    spec:
      project: default
      source: {repoURL: '${repoURL}', targetRevision: main, path: ${path}}
      destination: {server: '{{server}}', namespace: ${name}}
      syncPolicy: ${syncPolicy}
`;

interface AppStatus {
  application: string;
  sync: string;
  health: string;
  appliedRevision: number;
  message: string;
  objects: Array<{ kind: string; name: string; sync: string; diff?: string[] }>;
}

describe('agent on real API servers', { timeout: 600_000 }, () => {
  let git: GitHttpServer;
  let repo: TestRepository;
  let hub: RunningHub;
  let hubEnv: Record<string, string>;
  let hubPort: number;
  let devMetricsPort: number;
  let admin: ReturnType<typeof hubClient>;
  let prod: KubeApiServer;
  let dev: KubeApiServer;
  const agents = new Map<string, RunningAgent>();
  let repoURL: string;
  /** Hubs and agents started inside a test outlive it: they are stopped with the suite. */
  const suite = suiteScope();

  /** `kubectl get` as JSON, or undefined when the object is not there. */
  const getObject = (cluster: KubeApiServer, ...args: string[]): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(cluster.kubectl('get', ...args, '-o', 'json')) as Record<string, unknown>;
    } catch (error) {
      if (/NotFound|not found|the server doesn't have a resource type/i.test((error as Error).message)) return undefined;
      throw error;
    }
  };
  /** The color in prod's guestbook-settings ConfigMap, which the guestbook Application manages. */
  const prodColor = (): string | undefined =>
    (getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-settings') as { data?: { color?: string } } | undefined)?.data?.color;
  const statuses = async (cluster: string): Promise<AppStatus[]> =>
    (await admin.get(`/api/v1/clusters/${cluster}/applications`)).body as unknown as AppStatus[];
  const latestRevision = async (cluster: string): Promise<number> =>
    ((await admin.get(`/api/v1/clusters/${cluster}/plans/latest`)).body as unknown as { revision: number }).revision;

  before(async () => {
    const work = tempDir(suite, 'flotilla-agent-e2e-');
    repo = TestRepository.init(join(work, 'git', 'apps.git'));
    repo.commit({ ...GUESTBOOK, ...bulk(BULK) });
    git = await startGitHttpServer(join(work, 'git'));
    repoURL = git.url('apps.git');
    hubPort = await freePort();
    devMetricsPort = await freePort();
    const [servers, started] = await Promise.all([
      startKubeApiServers(suite, 2),
      startFreshHub(suite, {
        adminToken: ADMIN_TOKEN,
        workDir: work,
        port: hubPort,
        env: { FLOTILLA_GIT_POLL_SECONDS: '1', FLOTILLA_RECONCILE_SECONDS: '1' },
      }),
    ]);
    [prod, dev] = servers as [KubeApiServer, KubeApiServer];
    ({ hub, env: hubEnv } = started);
    admin = hubClient(hub.url, ADMIN_TOKEN);
    for (const [name, cluster, env] of [
      ['prod', prod, 'prod'],
      ['dev', dev, 'dev'],
    ] as const) {
      assert.equal((await admin.post('/api/v1/clusters', { name, server: cluster.server, labels: { env } })).status, 201);
      const token = (await admin.post(`/api/v1/clusters/${name}/bootstrap-tokens`, {})).body.token as string;
      // dev applies slowly (2 requests in flight), so the kill test catches it half-way.
      const agentEnv: Record<string, string> =
        name === 'dev' ? { FLOTILLA_APPLY_CONCURRENCY: '2', FLOTILLA_METRICS_PORT: String(devMetricsPort) } : {};
      agents.set(name, startAgent(suite, { hubUrl: hub.url, kubeconfig: cluster.kubeconfigPath, bootstrapToken: token, env: agentEnv }));
    }
  });

  after(async () => {
    await suite.close();
    await git?.close();
  });

  it('lands an ApplicationSet on the clusters it selects, and only there', async () => {
    const policy = '{automated: {prune: true, selfHeal: true}, syncOptions: [CreateNamespace=true]}';
    assert.equal(
      (await admin.put('/api/v1/applicationsets', appSet('guestbook', repoURL, 'guestbook', 'env: prod', policy), 'application/yaml'))
        .status,
      201,
    );
    await eventually(async () => getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-settings'), 60_000, 'guestbook on prod');
    assert.ok(getObject(prod, 'deployment', '-n', 'guestbook', 'guestbook'));
    const status = await eventually(
      async () => (await statuses('prod')).find((s) => s.application === 'guestbook-prod' && s.sync === 'Synced'),
      30_000,
      'a Synced report from prod',
    );
    assert.equal(status.appliedRevision, await latestRevision('prod'));
    // No kubelet here: the Deployment never becomes available, and the report says so.
    assert.equal(status.health, 'Progressing');
    assert.equal(getObject(dev, 'namespace', 'guestbook'), undefined);
    const live = getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-settings', '--show-managed-fields') as {
      metadata: { managedFields: Array<{ manager: string; operation: string }> };
    };
    assert.ok(
      live.metadata.managedFields.some((f) => f.manager === 'flotilla' && f.operation === 'Apply'),
      'applied with the flotilla field manager',
    );
  });

  it('applies a change from git', async () => {
    repo.commit({ 'guestbook/settings.yaml': GUESTBOOK['guestbook/settings.yaml'].replace('blue', 'green') });
    await eventually(async () => (prodColor() === 'green' ? true : undefined), 60_000, 'color green on prod');
  });

  it('applies a CustomResourceDefinition and its custom resources from one plan, in order', async () => {
    const policy = '{automated: {prune: true}, syncOptions: [CreateNamespace=true]}';
    assert.equal(
      (await admin.put('/api/v1/applicationsets', appSet('widgets', repoURL, 'widgets', 'env: dev', policy), 'application/yaml')).status,
      201,
    );
    const widget = await eventually(
      async () => getObject(dev, 'widgets.example.com', '-n', 'widgets', 'sprocket'),
      60_000,
      'the Widget on dev',
    );
    assert.deepEqual((widget as { spec: unknown }).spec, { size: 3 });
    await eventually(
      async () => (await statuses('dev')).find((s) => s.application === 'widgets-dev' && s.sync === 'Synced' && s.health === 'Healthy'),
      30_000,
      'widgets Synced and Healthy',
    );
  });

  it('exposes metrics, liveness and readiness for the cluster owner', async () => {
    const base = `http://127.0.0.1:${devMetricsPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const text = await (await fetch(`${base}/metrics`)).text();
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    const sample = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    assert.equal(Number(sample('flotilla_agent_applied_revision')?.value), await latestRevision('dev'));
    assert.ok(Number(sample('flotilla_agent_applies_total', { result: 'applied' })?.value) >= 1);
    assert.ok(Number(sample('flotilla_agent_objects', { sync: 'Synced', health: 'Healthy' })?.value) >= 2);
    assert.equal(Number(sample('flotilla_agent_hub_up')?.value), 1);
    assert.equal(families.get('flotilla_agent_apply_duration_seconds')?.type, 'HISTOGRAM');
    assert.ok(Number(sample('flotilla_agent_process_resident_memory_bytes')?.value) > 0);
  });

  it('reports a manual edit as drift with the fields that differ, and reverts it under selfHeal', async () => {
    // widgets has no selfHeal: the edit stays and is reported.
    dev.kubectl('patch', 'widgets.example.com', 'sprocket', '-n', 'widgets', '--type=merge', '-p', '{"spec":{"size":5}}');
    const drifted = await eventually(
      async () => (await statuses('dev')).find((s) => s.application === 'widgets-dev' && s.sync === 'OutOfSync'),
      30_000,
      'widgets OutOfSync',
    );
    const object = drifted.objects.find((o) => o.kind === 'Widget');
    assert.deepEqual(object?.diff, ['spec.size']);
    assert.equal((getObject(dev, 'widgets.example.com', '-n', 'widgets', 'sprocket') as { spec: { size: number } }).spec.size, 5);

    // guestbook has selfHeal: the edit is taken back.
    prod.kubectl('patch', 'configmap', 'guestbook-settings', '-n', 'guestbook', '--type=merge', '-p', '{"data":{"color":"red"}}');
    await eventually(async () => (prodColor() === 'green' ? true : undefined), 30_000, 'color back to green');
    // Deleted by hand: created again.
    prod.kubectl('delete', 'configmap', 'guestbook-extra', '-n', 'guestbook');
    await eventually(async () => getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-extra'), 30_000, 'guestbook-extra again');
  });

  it('keeps enforcing while the hub is down, also after a restart, and reports when it is back', async () => {
    await hub.close();
    const old = agents.get('prod') as RunningAgent;
    await old.stop();
    // Restarted without a bootstrap token: it has its credential and its last plan in the cluster.
    agents.set('prod', startAgent(suite, { hubUrl: `http://127.0.0.1:${hubPort}`, kubeconfig: prod.kubeconfigPath }));
    prod.kubectl('patch', 'configmap', 'guestbook-settings', '-n', 'guestbook', '--type=merge', '-p', '{"data":{"color":"red"}}');
    await eventually(async () => (prodColor() === 'green' ? true : undefined), 30_000, 'healed with the hub down');
    const before = Date.now();
    hub = await startHub(suite, hubEnv, hubPort);
    admin = hubClient(hub.url, ADMIN_TOKEN);
    await eventually(
      async () => {
        const cluster = (await admin.get('/api/v1/clusters/prod')).body as { lastHeartbeatAt?: string; state?: string };
        return cluster.lastHeartbeatAt && Date.parse(cluster.lastHeartbeatAt) >= before - 1000 && cluster.state === 'connected'
          ? true
          : undefined;
      },
      30_000,
      'prod reporting again',
    );
    await eventually(
      async () => (await statuses('prod')).find((s) => s.application === 'guestbook-prod' && s.sync === 'Synced'),
      30_000,
      'status',
    );
  });

  it('prunes what left an Application, and never what it does not own', async () => {
    // Someone else's objects in the same namespace, one even labelled as managed.
    prod.kubectl('create', 'configmap', 'bystander', '-n', 'guestbook', '--from-literal=owner=someone');
    prod.kubectl('create', 'configmap', 'lookalike', '-n', 'guestbook', '--from-literal=owner=someone');
    prod.kubectl('label', 'configmap', 'lookalike', '-n', 'guestbook', 'flotilla.dev/managed=true');
    repo.commit({}, 'drop extra', ['guestbook/extra.yaml']);
    await eventually(
      async () => (getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-extra') === undefined ? true : undefined),
      60_000,
      'guestbook-extra pruned',
    );
    assert.ok(getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-settings'));
    assert.ok(getObject(prod, 'configmap', '-n', 'guestbook', 'bystander'));
    assert.ok(getObject(prod, 'configmap', '-n', 'guestbook', 'lookalike'));
  });

  it('deletes the objects of an Application that left the cluster', async () => {
    assert.equal((await admin.patch('/api/v1/clusters/prod', { labels: { env: 'staging' } })).status, 200);
    await eventually(
      async () => (getObject(prod, 'deployment', '-n', 'guestbook', 'guestbook') === undefined ? true : undefined),
      60_000,
      'guestbook removed from prod',
    );
    assert.equal(getObject(prod, 'configmap', '-n', 'guestbook', 'guestbook-settings'), undefined);
    assert.ok(getObject(prod, 'configmap', '-n', 'guestbook', 'bystander'), 'not ours: kept');
  });

  it('converges after the agent is killed in the middle of an apply', async () => {
    const policy = '{automated: {prune: true}, syncOptions: [CreateNamespace=true]}';
    assert.equal(
      (await admin.put('/api/v1/applicationsets', appSet('bulk', repoURL, 'bulk', 'env: dev', policy), 'application/yaml')).status,
      201,
    );
    const core = dev.kubeConfig.makeApiClient(CoreV1Api);
    const count = async (): Promise<number> => {
      try {
        return (await core.listNamespacedConfigMap({ namespace: 'bulk' })).items.filter((i) => i.metadata?.name?.startsWith('bulk-'))
          .length;
      } catch {
        return 0;
      }
    };
    await eventually(async () => ((await count()) > 0 ? true : undefined), 60_000, 'the apply under way');
    await (agents.get('dev') as RunningAgent).kill();
    const applied = await count();
    assert.ok(applied < BULK, `killed half-way (${applied} of ${BULK} applied)`);
    agents.set('dev', startAgent(suite, { hubUrl: hub.url, kubeconfig: dev.kubeconfigPath, env: { FLOTILLA_APPLY_CONCURRENCY: '2' } }));
    await eventually(async () => ((await count()) === BULK ? true : undefined), 60_000, `all ${BULK} ConfigMaps`);
    const revision = await latestRevision('dev');
    await eventually(
      async () =>
        (await statuses('dev')).find((s) => s.application === 'bulk-dev' && s.sync === 'Synced' && s.appliedRevision === revision),
      30_000,
      'bulk Synced at the newest revision',
    );
  });
});
