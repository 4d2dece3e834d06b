import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { type KubeApiServer, kubeApiServerAssets, startKubeApiServer, suiteScope, tempDir } from '#testing';
import { testBinaries } from '../../libs/sources/src/test-support/tools.js';

/**
 * The Helm charts: `helm lint`, then every rendering (default values and each charts/<chart>/ci
 * file) applied with a server-side dry run (strict field validation) to a real kube-apiserver,
 * plus what each rendering must contain, what the schemas refuse, and what the agent's RBAC
 * really allows (applied, then checked with `kubectl auth can-i`).
 */

/** dist/test/e2e → the repository root (charts/ is not compiled). */
const REPO_ROOT = new URL('../../../', import.meta.url).pathname;
const CHART_NAMES = ['flotilla-hub', 'flotilla-agent'] as const;
type ChartName = (typeof CHART_NAMES)[number];
const HELM_TIMEOUT_MS = 60_000;

interface Container {
  name: string;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
  args?: string[];
  image?: string;
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: { runAsNonRoot?: boolean };
  containers: Container[];
}
interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { template?: { spec: PodSpec }; replicas?: number } & Record<string, unknown>;
  rules?: Array<{ apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] }>;
  data?: Record<string, string>;
}

/** One rendering: a chart with default values or one file of its ci/ directory. */
interface Rendering {
  chart: ChartName;
  /** `default` or the ci/ file's name without .yaml. */
  values: string;
  namespace: string;
  objects: KubeObject[];
}

function run(file: string, args: string[], timeout = HELM_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed (exit ${error.code}):\n${stderr.trim()}\n${stdout.trim()}`));
      else resolve(stdout);
    });
  });
}

const valuesFiles = (chart: ChartName): string[] =>
  readdirSync(join(REPO_ROOT, 'charts', chart, 'ci'))
    .filter((file) => file.endsWith('.yaml'))
    .sort();

const envOf = (container: Container | undefined, name: string) => container?.env?.find((e) => e.name === name);

/** Every Pod template in a rendering (Deployments and Jobs). */
const podSpecs = (objects: KubeObject[]): Array<{ owner: string; spec: PodSpec }> =>
  objects.flatMap((o) => (o.spec?.template ? [{ owner: `${o.kind}/${o.metadata.name}`, spec: o.spec.template.spec }] : []));

/**
 * A subset of prometheus-operator's ServiceMonitor CRD (monitoring.coreos.com/v1): the fields
 * the hub chart sets, typed as upstream, with no unknown fields allowed, so a strict dry run
 * catches a misspelt field. (The real CRD is ~1,000 lines; a bare API server has none.)
 */
const SERVICE_MONITOR_CRD = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: {
      plural: 'servicemonitors',
      singular: 'servicemonitor',
      kind: 'ServiceMonitor',
      listKind: 'ServiceMonitorList',
      shortNames: ['smon'],
    },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              apiVersion: { type: 'string' },
              kind: { type: 'string' },
              metadata: { type: 'object' },
              spec: {
                type: 'object',
                required: ['selector'],
                properties: {
                  jobLabel: { type: 'string' },
                  targetLabels: { type: 'array', items: { type: 'string' } },
                  selector: {
                    type: 'object',
                    properties: {
                      matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
                      matchExpressions: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
                    },
                  },
                  namespaceSelector: {
                    type: 'object',
                    properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } },
                  },
                  endpoints: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        port: { type: 'string' },
                        targetPort: { 'x-kubernetes-int-or-string': true },
                        path: { type: 'string' },
                        scheme: { type: 'string', enum: ['http', 'https', 'HTTP', 'HTTPS'] },
                        interval: {
                          type: 'string',
                          pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
                        },
                        scrapeTimeout: {
                          type: 'string',
                          pattern: '^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$',
                        },
                        honorLabels: { type: 'boolean' },
                        authorization: {
                          type: 'object',
                          properties: {
                            type: { type: 'string' },
                            credentials: {
                              type: 'object',
                              required: ['key'],
                              properties: { name: { type: 'string' }, key: { type: 'string' }, optional: { type: 'boolean' } },
                              'x-kubernetes-map-type': 'atomic',
                            },
                          },
                        },
                        tlsConfig: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                        relabelings: { type: 'array', items: { $ref: '#relabel' } },
                        metricRelabelings: { type: 'array', items: { $ref: '#relabel' } },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    ],
  },
};
const RELABEL_CONFIG = {
  type: 'object',
  properties: {
    action: { type: 'string' },
    modulus: { type: 'integer', format: 'int64' },
    regex: { type: 'string' },
    replacement: { type: 'string' },
    separator: { type: 'string' },
    sourceLabels: { type: 'array', items: { type: 'string', pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' } },
    targetLabel: { type: 'string' },
  },
};
/** CRD schemas cannot use $ref: inline the relabel config where the constant names it. */
const serviceMonitorCrd = (): string =>
  JSON.stringify(SERVICE_MONITOR_CRD).replaceAll('{"$ref":"#relabel"}', JSON.stringify(RELABEL_CONFIG));

describe('Helm charts', { timeout: 45 * 60_000 }, () => {
  const suite = suiteScope();
  let helm: string;
  let kube: KubeApiServer;
  let work: string;
  let kubeVersion: string;
  /** Why the suite cannot run here (no helm, or no kube-apiserver), if it cannot. */
  let unavailable: string | undefined;
  const renderings = new Map<string, Rendering>();

  const kubectl = (...args: string[]): string => kube.kubectl(...args);

  /** `helm template` of one chart and values file, parsed; also kept for the per-chart checks. */
  const render = async (chart: ChartName, values: string, extra: string[] = []): Promise<Rendering> => {
    const namespace = `${chart.replace('flotilla-', '')}-${values}`;
    const args = ['template', chart, join(REPO_ROOT, 'charts', chart), '--namespace', namespace, '--kube-version', kubeVersion];
    if (values !== 'default') args.push('--values', join(REPO_ROOT, 'charts', chart, 'ci', `${values}.yaml`));
    const text = await run(helm, [...args, ...extra]);
    const objects = parseAllDocuments(text)
      .map((doc) => doc.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null);
    return { chart, values, namespace, objects };
  };

  const rendering = (chart: ChartName, values: string): Rendering => {
    const found = renderings.get(`${chart}/${values}`);
    assert.ok(found, `${chart} with ${values} values was rendered`);
    return found;
  };

  const skipIfUnavailable = (t: TestContext): boolean => {
    if (unavailable) t.skip(unavailable);
    return unavailable !== undefined;
  };

  before(async () => {
    try {
      ({ helm } = await testBinaries());
      await kubeApiServerAssets();
    } catch (error) {
      unavailable = `helm or kube-apiserver unavailable (set HELM_BIN and KUBEBUILDER_ASSETS, or let scripts/tools.sh and scripts/envtest.sh build them): ${(error as Error).message}`;
      return;
    }
    work = tempDir(suite, 'flotilla-charts-');
    kube = await startKubeApiServer(suite);
    kubeVersion = (JSON.parse(kubectl('version', '-o', 'json')) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion;
    const crd = join(work, 'servicemonitor-crd.json');
    writeFileSync(crd, serviceMonitorCrd());
    kubectl('apply', '--server-side', '-f', crd);
    kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com');
    // Namespaces the renderings (and the agent's namespaced RBAC) put objects in.
    for (const chart of CHART_NAMES) {
      for (const values of ['default', ...valuesFiles(chart).map((f) => f.replace(/\.yaml$/, ''))]) {
        const r = await render(chart, values);
        renderings.set(`${chart}/${values}`, r);
        kubectl('create', 'namespace', r.namespace);
      }
    }
    for (const namespace of ['team-a', 'team-b']) kubectl('create', 'namespace', namespace);
  });

  after(suite.close);

  for (const chart of CHART_NAMES) {
    it(`${chart}: helm lint --strict passes with default values and every ci/ values file`, async (t) => {
      if (skipIfUnavailable(t)) return;
      const dir = join(REPO_ROOT, 'charts', chart);
      for (const values of [undefined, ...valuesFiles(chart)]) {
        const args = ['lint', '--strict', dir, ...(values ? ['--values', join(dir, 'ci', values)] : [])];
        const output = await run(helm, args);
        assert.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/, output);
      }
    });

    it(`${chart}: every rendered object passes a server-side dry run (strict field validation)`, async (t) => {
      if (skipIfUnavailable(t)) return;
      const mine = [...renderings.values()].filter((r) => r.chart === chart);
      assert.ok(mine.length >= 3, 'default values and at least two ci/ files');
      for (const r of mine) {
        const file = join(work, `${chart}-${r.values}.json`);
        writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: r.objects }));
        const output = kubectl(
          'apply',
          '--server-side',
          '--dry-run=server',
          '--validate=strict',
          '--field-manager=flotilla-chart-test',
          '-f',
          file,
          '-o',
          'name',
        );
        const applied = output.trim().split('\n').filter(Boolean);
        assert.equal(applied.length, r.objects.length, `${chart} (${r.values}): every object accepted\n${output}`);
      }
    });

    it(`${chart}: standard labels, non-root read-only containers, probes on /healthz and /readyz`, (t) => {
      if (skipIfUnavailable(t)) return;
      for (const r of [...renderings.values()].filter((x) => x.chart === chart)) {
        for (const o of r.objects) {
          const labels = o.metadata.labels ?? {};
          const where = `${r.values}: ${o.kind}/${o.metadata.name}`;
          assert.equal(labels['app.kubernetes.io/name'], chart, where);
          assert.equal(labels['app.kubernetes.io/instance'], chart, where);
          assert.equal(labels['app.kubernetes.io/managed-by'], 'Helm', where);
          assert.equal(labels['app.kubernetes.io/part-of'], 'flotilla', where);
          assert.match(labels['helm.sh/chart'] ?? '', new RegExp(`^${chart}-\\d+\\.\\d+\\.\\d+`), where);
          if (o.metadata.namespace !== undefined && !['Role', 'RoleBinding'].includes(o.kind))
            assert.equal(o.metadata.namespace, r.namespace, where);
        }
        const pods = podSpecs(r.objects);
        assert.ok(pods.length > 0);
        for (const { owner, spec } of pods) {
          assert.equal(spec.securityContext?.runAsNonRoot, true, `${r.values}: ${owner} runs as non-root`);
          for (const c of spec.containers) {
            assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${owner}/${c.name}`);
            assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${owner}/${c.name}`);
            assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${owner}/${c.name}`);
            if (owner.startsWith('Deployment/')) {
              assert.equal(c.livenessProbe?.httpGet?.path, '/healthz', `${owner}/${c.name}`);
              assert.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${owner}/${c.name}`);
            }
          }
        }
      }
    });
  }

  it('flotilla-hub defaults: API and worker Deployments, migrations hook, generated admin token', (t) => {
    if (skipIfUnavailable(t)) return;
    const { objects } = rendering('flotilla-hub', 'default');
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), ['flotilla-hub', 'flotilla-hub-worker']);
    const container = (name: string) => deployments.find((d) => d.metadata.name === name)?.spec?.template?.spec.containers[0];
    assert.equal(envOf(container('flotilla-hub'), 'FLOTILLA_ROLES')?.value, 'api');
    assert.equal(envOf(container('flotilla-hub-worker'), 'FLOTILLA_ROLES')?.value, 'worker');
    // The Job migrates, so the pods do not.
    assert.equal(envOf(container('flotilla-hub'), 'FLOTILLA_SKIP_MIGRATIONS')?.value, 'true');
    assert.equal(envOf(container('flotilla-hub'), 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name, 'flotilla-hub');
    // The admin token goes to the API only; git credentials to workers only.
    assert.ok(envOf(container('flotilla-hub'), 'FLOTILLA_ADMIN_TOKEN'));
    assert.equal(envOf(container('flotilla-hub-worker'), 'FLOTILLA_ADMIN_TOKEN'), undefined);
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'flotilla-hub');
    assert.deepEqual(Object.keys(secret?.data ?? {}).sort(), ['DATABASE_URL', 'FLOTILLA_ADMIN_TOKEN', 'REDIS_URL']);
    assert.equal(Buffer.from(secret?.data?.FLOTILLA_ADMIN_TOKEN ?? '', 'base64').length, 48);
    const job = objects.find((o) => o.kind === 'Job');
    assert.equal(job?.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.deepEqual(job?.spec?.template?.spec.containers[0]?.args?.slice(1, 3), ['migrate', 'deploy']);
    assert.equal(envOf(job?.spec?.template?.spec.containers[0], 'DATABASE_URL')?.valueFrom?.secretKeyRef?.name, 'flotilla-hub-migrations');
    const hookSecret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'flotilla-hub-migrations');
    assert.equal(hookSecret?.metadata.annotations?.['helm.sh/hook-weight'], '-10');
    assert.deepEqual(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 2);
    assert.equal(
      objects.filter((o) => ['Ingress', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'ServiceMonitor'].includes(o.kind)).length,
      0,
    );
  });

  it('flotilla-hub with every option: Ingress, HPAs, NetworkPolicies, ServiceMonitor, your own Secrets', (t) => {
    if (skipIfUnavailable(t)) return;
    const { objects } = rendering('flotilla-hub', 'full-values');
    const kinds = (kind: string) => objects.filter((o) => o.kind === kind).map((o) => o.metadata.name);
    assert.deepEqual(kinds('Ingress'), ['flotilla-hub']);
    assert.deepEqual(kinds('HorizontalPodAutoscaler').sort(), ['flotilla-hub', 'flotilla-hub-worker']);
    assert.deepEqual(kinds('NetworkPolicy').sort(), ['flotilla-hub', 'flotilla-hub-worker']);
    assert.deepEqual(kinds('ServiceMonitor'), ['flotilla-hub']);
    const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'flotilla-hub');
    assert.equal(api?.spec?.replicas, undefined, 'the HPA owns the replica count');
    const container = api?.spec?.template?.spec.containers[0];
    assert.match(container?.image ?? '', /@sha256:[0-9a-f]{64}$/);
    assert.deepEqual(envOf(container, 'DATABASE_URL')?.valueFrom?.secretKeyRef, { name: 'flotilla-postgres-app', key: 'uri' });
    assert.deepEqual(envOf(container, 'FLOTILLA_ADMIN_TOKEN')?.valueFrom?.secretKeyRef, { name: 'flotilla-admin', key: 'token' });
    assert.equal(
      envOf(container, 'FLOTILLA_RENDER_NETWORK_REPOSITORIES')?.value,
      'https://github.com/example/,https://charts.example.com/',
    );
    // Only the inline webhook secret is left for the chart's own Secret; the Job reads yours.
    const secret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'flotilla-hub');
    assert.deepEqual(Object.keys(secret?.data ?? {}), ['FLOTILLA_WEBHOOK_SECRET']);
    assert.equal(
      objects.find((o) => o.kind === 'Secret' && o.metadata.name === 'flotilla-hub-migrations'),
      undefined,
    );
    const job = objects.find((o) => o.kind === 'Job');
    assert.deepEqual(envOf(job?.spec?.template?.spec.containers[0], 'DATABASE_URL')?.valueFrom?.secretKeyRef, {
      name: 'flotilla-postgres-app',
      key: 'uri',
    });
  });

  it('flotilla-hub in one Deployment: both roles, migrations at boot, no Job', (t) => {
    if (skipIfUnavailable(t)) return;
    const { objects } = rendering('flotilla-hub', 'single-deployment-values');
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    assert.deepEqual(
      deployments.map((d) => d.metadata.name),
      ['flotilla'],
    );
    const container = deployments[0]?.spec?.template?.spec.containers[0];
    assert.equal(envOf(container, 'FLOTILLA_ROLES')?.value, 'api,worker');
    assert.equal(envOf(container, 'FLOTILLA_SKIP_MIGRATIONS')?.value, 'false');
    assert.ok(envOf(container, 'FLOTILLA_GIT_CREDENTIALS'), 'the worker role gets the git credentials');
    assert.equal(envOf(container, 'FLOTILLA_ADMIN_TOKEN'), undefined);
    assert.equal(deployments[0]?.spec?.template?.spec.serviceAccountName, 'default');
    for (const kind of ['Job', 'PodDisruptionBudget', 'ServiceAccount'])
      assert.equal(objects.filter((o) => o.kind === kind).length, 0, kind);
  });

  it('flotilla-agent: cluster-wide or per-namespace RBAC, its state Secrets, the bootstrap token', (t) => {
    if (skipIfUnavailable(t)) return;
    const cluster = rendering('flotilla-agent', 'default').objects;
    assert.deepEqual(cluster.find((o) => o.kind === 'ClusterRole')?.rules, [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]);
    const state = cluster.find((o) => o.kind === 'Role' && o.metadata.name === 'flotilla-agent-state');
    assert.deepEqual(state?.rules?.[0]?.resourceNames, ['flotilla-agent-credential', 'flotilla-agent-plan']);
    const deployment = cluster.find((o) => o.kind === 'Deployment');
    assert.equal((deployment?.spec as { strategy?: { type: string } } | undefined)?.strategy?.type, 'Recreate');
    assert.equal(deployment?.spec?.replicas, 1);
    assert.equal(envOf(deployment?.spec?.template?.spec.containers[0], 'FLOTILLA_BOOTSTRAP_TOKEN'), undefined);

    const namespaced = rendering('flotilla-agent', 'namespaced-values').objects;
    assert.equal(namespaced.filter((o) => o.kind === 'ClusterRole' && o.metadata.name === 'flotilla-agent').length, 0);
    assert.deepEqual(
      namespaced
        .filter((o) => o.kind === 'Role' && o.metadata.name === 'flotilla-agent')
        .map((o) => o.metadata.namespace)
        .sort(),
      ['team-a', 'team-b'],
    );
    const container = namespaced.find((o) => o.kind === 'Deployment')?.spec?.template?.spec.containers[0];
    assert.deepEqual(envOf(container, 'FLOTILLA_BOOTSTRAP_TOKEN')?.valueFrom?.secretKeyRef, {
      name: 'flotilla-agent-bootstrap',
      key: 'token',
      optional: true,
    });
    assert.equal(envOf(container, 'FLOTILLA_METRICS_PORT')?.value, '9090');
    const mine = rendering('flotilla-agent', 'existing-secret-values').objects;
    const theirs = mine.find((o) => o.kind === 'Deployment')?.spec?.template?.spec.containers[0];
    assert.deepEqual(envOf(theirs, 'FLOTILLA_BOOTSTRAP_TOKEN')?.valueFrom?.secretKeyRef, {
      name: 'fleet-bootstrap',
      key: 'bootstrap-token',
      optional: true,
    });
    assert.equal(mine.filter((o) => o.kind === 'Secret').length, 0);
  });

  it('the values schemas refuse bad values', async (t) => {
    if (skipIfUnavailable(t)) return;
    const refused = async (chart: ChartName, set: string, pattern: RegExp): Promise<void> => {
      await assert.rejects(render(chart, 'default', ['--set', set]), pattern, `${chart} --set ${set}`);
    };
    await refused('flotilla-agent', 'rbac.scope=everything', /at '\/rbac\/scope'/);
    await refused('flotilla-agent', 'rbac.scope=namespaces', /at '\/rbac\/namespaces': minItems/);
    await refused('flotilla-agent', 'hub.url=flotilla.example.com', /at '\/hub\/url'/);
    await refused('flotilla-hub', 'adminToken.value=too-short', /at '\/adminToken\/value'/);
    await refused('flotilla-hub', 'config.longPollSeconds=0', /at '\/config\/longPollSeconds': minimum/);
    await refused('flotilla-hub', 'config.agentCredentialCacheSeconds=-1', /at '\/config\/agentCredentialCacheSeconds': minimum/);
    await refused('flotilla-hub', 'replicas=3', /additional properties 'replicas' not allowed/);
    // Checked by the templates: a ServiceMonitor without the viewer token it scrapes with.
    await refused('flotilla-hub', 'serviceMonitor.enabled=true', /serviceMonitor\.tokenSecret\.name is required/);
  });

  /** `kubectl auth can-i` as the agent's ServiceAccount. */
  const canI = (serviceAccount: string, ...args: string[]): boolean => {
    try {
      return kubectl('auth', 'can-i', `--as=system:serviceaccount:${serviceAccount}`, ...args).trim() === 'yes';
    } catch (error) {
      if (/failed \(exit 1\)/.test((error as Error).message)) return false;
      throw error;
    }
  };

  it("the agent's RBAC, applied for real, allows what it needs and no more", async (t) => {
    if (skipIfUnavailable(t)) return;
    for (const [values, namespace] of [
      ['namespaced-values', 'agent-rbac-ns'],
      ['default', 'agent-rbac-cluster'],
    ] as const) {
      kubectl('create', 'namespace', namespace);
      const r = await render('flotilla-agent', values, ['--namespace', namespace]);
      const file = join(work, `rbac-${values}.json`);
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: r.objects }));
      kubectl('apply', '--server-side', '--field-manager=flotilla-chart-test', '-f', file);
    }
    // Its state, in its own namespace, in both modes.
    for (const ns of ['agent-rbac-ns', 'agent-rbac-cluster']) {
      const sa = `${ns}:flotilla-agent`;
      assert.ok(canI(sa, 'get', 'secrets/flotilla-agent-credential', '-n', ns), `${ns}: read its credential`);
      assert.ok(canI(sa, 'patch', 'secrets/flotilla-agent-plan', '-n', ns), `${ns}: store its plan`);
      assert.ok(canI(sa, 'create', 'secrets', '-n', ns), `${ns}: create its Secrets`);
      for (const verb of ['list', 'get', 'patch', 'delete'])
        assert.ok(canI(sa, verb, 'configmaps', '-n', ns), `${ns}: ${verb} inventories`);
    }
    // Namespaced: its namespaces only, nothing cluster-scoped, no other Secret of its own namespace.
    const ns = 'agent-rbac-ns:flotilla-agent';
    assert.ok(canI(ns, 'create', 'deployments.apps', '-n', 'team-a'));
    assert.ok(canI(ns, 'delete', 'secrets', '-n', 'team-b'));
    assert.ok(canI(ns, 'get', 'namespaces/team-a'));
    assert.equal(canI(ns, 'create', 'deployments.apps', '-n', 'kube-system'), false);
    assert.equal(canI(ns, 'create', 'clusterroles.rbac.authorization.k8s.io'), false);
    assert.equal(canI(ns, 'create', 'namespaces'), false);
    assert.equal(canI(ns, 'get', 'secrets/someone-elses', '-n', 'agent-rbac-ns'), false);
    // Cluster-wide: anything anywhere.
    const cluster = 'agent-rbac-cluster:flotilla-agent';
    assert.ok(canI(cluster, 'create', 'deployments.apps', '-n', 'kube-system'));
    assert.ok(canI(cluster, 'create', 'customresourcedefinitions.apiextensions.k8s.io'));
    assert.ok(canI(cluster, 'escalate', 'clusterroles.rbac.authorization.k8s.io'));
  });
});
