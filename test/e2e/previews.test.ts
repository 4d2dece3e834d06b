import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  eventually,
  type FakeScm,
  type GitHttpServer,
  hubClient,
  type KubeApiServer,
  type RunningHub,
  startAgent,
  startFakeScm,
  startFreshHub,
  startGitHttpServer,
  startKubeApiServer,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';
import { testBinaries } from '../../libs/sources/src/test-support/tools.js';

/**
 * Pull request previews end to end: a local GitHub (and GitLab) API plays the SCM, the hub
 * renders a pull request × clusters matrix, an agent applies it to a real kube-apiserver,
 * and the pull request gets its commit statuses and one comment.
 */

const ADMIN_TOKEN = 'e2e-previews-admin-token-0123456789abcdefghij';
const WEBHOOK_SECRET = 'e2e-webhook-secret-0123456789';
const SCM_TOKEN = 'scm-token-not-for-logs-42';

/** A chart whose release namespace is part of it: closing the preview removes the namespace too. */
const CHART = {
  'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n',
  'chart/values.yaml': 'color: blue\nsha: none\n',
  'chart/templates/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {{ .Release.Namespace }}\n',
  'chart/templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: shop
data:
  color: {{ .Values.color | quote }}
  sha: {{ .Values.sha | quote }}
`,
  'chart/templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports: [{port: 80}]
  selector: {app: shop}
`,
  'static/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: static}\ndata: {ok: "yes"}\n',
  // No URL annotation on its Applications: a preview's URL comes from its Ingress.
  'web/ingress.yaml': `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  tls: [{hosts: [web.preview.test], secretName: web-tls}]
  rules:
  - host: web.preview.test
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
`,
};

const previewsAppSet = (scm: string, repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: shop-previews, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - pullRequest:
          github:
            owner: acme
            repo: shop
            api: ${scm}
            tokenRef: {secretName: github-token, key: token}
            labels: [preview]
      - clusters: {selector: {matchLabels: {env: preview}}}
  template:
    metadata:
      name: 'shop-pr-{{number}}-{{name}}'
      annotations: {previews.flotilla.dev/url: 'https://pr-{{number}}.shop.preview.test'}
    spec:
      project: default
      source:
        repoURL: ${repoURL}
        targetRevision: '{{head_sha}}'
        path: chart
        helm: {parameters: [{name: sha, value: '{{head_short_sha}}'}]}
      destination: {server: '{{server}}', namespace: 'shop-pr-{{number}}'}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
`;

const staticAppSet = (repoURL: string, server: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: static, namespace: argocd}
spec:
  generators: [{list: {elements: [{env: preview}]}}]
  template:
    metadata: {name: 'static-{{env}}'}
    spec:
      project: default
      source: {repoURL: ${repoURL}, targetRevision: main, path: static}
      destination: {server: '${server}', namespace: static}
      syncPolicy: {automated: {prune: true}, syncOptions: [CreateNamespace=true]}
`;

const ingressAppSet = (scm: string, repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: web-previews, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - pullRequest:
          github: {owner: acme, repo: web, api: ${scm}, tokenRef: {secretName: github-token, key: token}}
      - clusters: {selector: {matchLabels: {env: preview}}}
  template:
    metadata: {name: 'web-pr-{{number}}'}
    spec:
      project: default
      source: {repoURL: ${repoURL}, targetRevision: '{{head_sha}}', path: web}
      destination: {server: '{{server}}', namespace: 'web-pr-{{number}}'}
      syncPolicy: {automated: {prune: true}, syncOptions: [CreateNamespace=true]}
`;

const gitlabAppSet = (scm: string, repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: gl-previews, namespace: argocd}
spec:
  generators:
  - pullRequest:
      gitlab: {project: group/shop, api: ${scm}, tokenRef: {secretName: gitlab-token, key: token}, pullRequestState: opened}
  template:
    metadata: {name: 'gl-mr-{{number}}'}
    spec:
      project: default
      source: {repoURL: ${repoURL}, targetRevision: '{{head_sha}}', path: static}
      destination: {name: nowhere, namespace: 'gl-mr-{{number}}'}
`;

function signed(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

interface Preview {
  number: number;
  state: string;
  reason: string;
  headSha: string;
  url: string | null;
  statusState: string | null;
  applications: number;
}

describe('pull request previews', { timeout: 600_000 }, () => {
  const suite = suiteScope();
  let scm: FakeScm;
  let git: GitHttpServer;
  let repo: TestRepository;
  let hub: RunningHub;
  let cluster: KubeApiServer;
  let admin: ReturnType<typeof hubClient>;
  let repoURL: string;
  let shaA1: string;
  let shaA2: string;

  const githubDelivery = (event: string, payload: unknown, signature?: string) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': 'd-1' };
    const sig = signature ?? signed(body);
    if (sig) headers['x-hub-signature-256'] = sig;
    return fetch(`${hub.url}/hooks/github`, { method: 'POST', headers, body });
  };
  const pullRequestEvent = (action: string, number: number) => ({ action, number, repository: { full_name: 'acme/shop' } });
  const getObject = (...args: string[]): Record<string, unknown> | undefined => {
    try {
      return JSON.parse(cluster.kubectl('get', ...args, '-o', 'json')) as Record<string, unknown>;
    } catch (error) {
      if (/NotFound|not found/i.test((error as Error).message)) return undefined;
      throw error;
    }
  };
  const configMapData = (namespace: string) =>
    (getObject('configmap', '-n', namespace, 'shop') as { data?: Record<string, string> } | undefined)?.data;
  const previews = async (name = 'shop-previews'): Promise<Preview[]> =>
    (await admin.get(`/api/v1/applicationsets/argocd/${name}/previews`)).body as unknown as Preview[];
  const statusesFor = (sha: string) => scm.statuses.filter((s) => s.sha === sha).map((s) => s.state);
  const setPull = (number: number, fields: Partial<{ sha: string; labels: string[] }>) => {
    const pulls = scm.pulls.get('acme/shop') ?? [];
    const pull = pulls.find((p) => p.number === number);
    assert.ok(pull, `PR ${number} exists`);
    Object.assign(pull, fields);
  };

  before(async () => {
    const { helm } = await testBinaries();
    const work = tempDir(suite, 'flotilla-previews-e2e-');
    repo = TestRepository.init(join(work, 'git', 'shop.git'));
    repo.commit(CHART, 'chart');
    repo.git('checkout', '-q', '-b', 'feature-a');
    shaA1 = repo.commit({ 'chart/values.yaml': 'color: blue\nsha: none\n' }, 'feature a');
    repo.git('checkout', '-q', 'main');
    git = await startGitHttpServer(join(work, 'git'));
    repoURL = git.url('shop.git');
    scm = await startFakeScm({ token: SCM_TOKEN, pageSize: 2 });
    scm.pulls.set('acme/shop', [
      { number: 1, title: 'Feature A', branch: 'feature-a', sha: shaA1, labels: [] },
      { number: 2, title: 'Unlabelled', branch: 'feature-b', sha: 'b'.repeat(40), labels: ['wip'] },
      { number: 3, title: 'Draft', branch: 'feature-c', sha: 'c'.repeat(40), labels: [], draft: true },
    ]);
    scm.pulls.set('group/shop', [{ number: 7, title: 'MR', branch: 'mr-7', sha: shaA1, labels: [] }]);
    let started: Awaited<ReturnType<typeof startFreshHub>>;
    [cluster, started] = await Promise.all([
      startKubeApiServer(suite),
      startFreshHub(suite, {
        adminToken: ADMIN_TOKEN,
        workDir: work,
        env: {
          HELM_BIN: helm,
          FLOTILLA_WEBHOOK_SECRET: WEBHOOK_SECRET,
          FLOTILLA_SECRET_KEY: 'ab'.repeat(32),
          // Only webhooks (and applying the set) re-list pull requests here.
          FLOTILLA_PULL_REQUEST_POLL_SECONDS: '0',
          FLOTILLA_RECONCILE_SECONDS: '1',
        },
      }),
    ]);
    hub = started.hub;
    admin = hubClient(hub.url, ADMIN_TOKEN);
    assert.equal(
      (await admin.post('/api/v1/clusters', { name: 'previews', server: cluster.server, labels: { env: 'preview' } })).status,
      201,
    );
    const bootstrap = (await admin.post('/api/v1/clusters/previews/bootstrap-tokens', {})).body.token as string;
    startAgent(suite, {
      hubUrl: hub.url,
      kubeconfig: cluster.kubeconfigPath,
      bootstrapToken: bootstrap,
      env: { FLOTILLA_REFRESH_SECONDS: '2' },
    });
    const secret = await admin.put('/api/v1/secrets/github-token', { data: { token: SCM_TOKEN } });
    assert.equal(secret.status, 200);
    assert.deepEqual(secret.body.keys, ['token']);
    assert.equal(JSON.stringify(secret.body).includes(SCM_TOKEN), false, 'the value is never returned');
    assert.equal((await admin.put('/api/v1/secrets/gitlab-token', { data: { token: SCM_TOKEN } })).status, 200);
    assert.equal((await admin.put('/api/v1/applicationsets', previewsAppSet(scm.origin, repoURL), 'application/yaml')).status, 201);
    assert.equal((await admin.put('/api/v1/applicationsets', staticAppSet(repoURL, cluster.server), 'application/yaml')).status, 201);
  });

  after(async () => {
    await suite.close();
    await Promise.all([git?.close(), scm?.close()]);
  });

  it('creates nothing for pull requests without the label (drafts included)', async () => {
    await eventually(async () => (getObject('configmap', '-n', 'static', 'static') ? true : undefined), 60_000, 'the static app');
    assert.deepEqual(await previews(), []);
    assert.ok(scm.requests.filter((r) => r === 'GET /api/v3/repos/acme/shop/pulls').length >= 2, 'followed pagination (page size 2)');
  });

  it('labelling a pull request creates its preview; the pull request gets pending, then success, and one comment', async () => {
    setPull(1, { labels: ['preview'] });
    const response = await githubDelivery('pull_request', pullRequestEvent('labeled', 1));
    assert.equal(response.status, 202);
    assert.deepEqual(await response.json(), { event: 'pull_request', applicationSets: 1 });
    const data = await eventually(async () => configMapData('shop-pr-1'), 90_000, 'the preview ConfigMap');
    assert.equal(data.sha, shaA1.slice(0, 8));
    assert.ok(getObject('namespace', 'shop-pr-1'));
    assert.ok(getObject('service', '-n', 'shop-pr-1', 'shop'));
    await eventually(async () => (statusesFor(shaA1).includes('success') ? true : undefined), 60_000, 'a success status');
    assert.deepEqual(statusesFor(shaA1), ['pending', 'success']);
    const success = scm.statuses.find((s) => s.sha === shaA1 && s.state === 'success');
    assert.equal(success?.context, 'flotilla/shop-previews');
    assert.equal(success?.targetUrl, 'https://pr-1.shop.preview.test');
    // The status is posted before the comment, in the same feedback job: wait for the comment too.
    const commentsOn1 = () => scm.comments.filter((c) => c.repository === 'acme/shop' && c.number === 1);
    await eventually(
      async () => (commentsOn1().some((c) => /preview: ready/.test(c.body)) ? true : undefined),
      60_000,
      'the ready comment',
    );
    const comments = commentsOn1();
    assert.equal(comments.length, 1, 'one comment');
    assert.match(comments[0]?.body ?? '', /Flotilla preview: ready/);
    assert.match(comments[0]?.body ?? '', /\| previews \| shop-pr-1-previews \| Synced \| Healthy \|/);
    const [preview] = await previews();
    assert.equal(preview?.state, 'live');
    assert.equal(preview?.url, 'https://pr-1.shop.preview.test');
    assert.equal(preview?.applications, 1);
  });

  it('a push updates the preview and edits the same comment', async () => {
    repo.git('checkout', '-q', 'feature-a');
    shaA2 = repo.commit({ 'chart/values.yaml': 'color: green\nsha: none\n' }, 'feature a, green');
    repo.git('checkout', '-q', 'main');
    setPull(1, { sha: shaA2 });
    assert.equal((await githubDelivery('pull_request', pullRequestEvent('synchronize', 1))).status, 202);
    await eventually(async () => (configMapData('shop-pr-1')?.color === 'green' ? true : undefined), 90_000, 'green preview');
    assert.equal(configMapData('shop-pr-1')?.sha, shaA2.slice(0, 8));
    await eventually(async () => (statusesFor(shaA2).includes('success') ? true : undefined), 60_000, 'success on the new commit');
    assert.deepEqual(statusesFor(shaA2), ['pending', 'success']);
    assert.deepEqual(statusesFor(shaA1), ['pending', 'success'], 'nothing more on the old commit');
    const revision = new RegExp(`Revision \`${shaA2.slice(0, 8)}\``);
    await eventually(
      async () => (scm.comments.some((c) => c.number === 1 && revision.test(c.body)) ? true : undefined),
      60_000,
      'the edited comment',
    );
    const comments = scm.comments.filter((c) => c.number === 1);
    assert.equal(comments.length, 1, 'still one comment');
    assert.ok((comments[0]?.edits ?? 0) >= 1);
    assert.match(comments[0]?.body ?? '', revision);
  });

  it('refuses deliveries with a bad or missing signature, and acts on none of them', async () => {
    setPull(2, { labels: ['preview'] });
    const listings = () => scm.requests.filter((r) => r.startsWith('GET ')).length;
    const before = listings();
    const forged = await githubDelivery('pull_request', pullRequestEvent('labeled', 2), signed('{}', 'not-the-secret-at-all'));
    assert.equal(forged.status, 401);
    const unsigned = await githubDelivery('pull_request', pullRequestEvent('labeled', 2), '');
    assert.equal(unsigned.status, 401);
    const gitlab = await fetch(`${hub.url}/hooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': 'wrong' },
      body: JSON.stringify({ object_attributes: { action: 'open' }, project: { path_with_namespace: 'acme/shop' } }),
    });
    assert.equal(gitlab.status, 401);
    await sleep(3000);
    assert.equal(listings(), before, 'no pull request listing was triggered');
    assert.equal(getObject('namespace', 'shop-pr-2'), undefined);
    setPull(2, { labels: ['wip'] });
  });

  it('while the provider answers 503, previews stay up and the rest of the fleet keeps reconciling', async () => {
    scm.failWith = 503;
    try {
      assert.equal((await githubDelivery('pull_request', pullRequestEvent('edited', 1))).status, 202);
      const failed = await eventually(
        async () => {
          const conditions = (await admin.get('/api/v1/applicationsets/argocd/shop-previews')).body.conditions as Array<{
            type: string;
            status: string;
            message: string;
          }>;
          return conditions.find((c) => c.type === 'Rendered' && c.status === 'False');
        },
        30_000,
        'the render failure condition',
      );
      assert.match(failed.message, /github: cannot list pull requests of acme\/shop: HTTP 503/);
      assert.equal(failed.message.includes(SCM_TOKEN), false);
      repo.commit({ 'static/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: static}\ndata: {ok: "still"}\n' });
      await admin.post('/api/v1/applicationsets/argocd/static/sync');
      await eventually(
        async () =>
          (getObject('configmap', '-n', 'static', 'static') as { data?: { ok?: string } })?.data?.ok === 'still' ? true : undefined,
        60_000,
        'the static app updated during the outage',
      );
      assert.equal(configMapData('shop-pr-1')?.color, 'green', 'the preview is still there');
      assert.equal((await previews())[0]?.state, 'live');
    } finally {
      scm.failWith = undefined;
    }
  });

  it('closing the pull request removes everything the preview created and says so on the pull request', async () => {
    scm.pulls.set(
      'acme/shop',
      (scm.pulls.get('acme/shop') ?? []).filter((p) => p.number !== 1),
    );
    assert.equal((await githubDelivery('pull_request', pullRequestEvent('closed', 1))).status, 202);
    await eventually(async () => (configMapData('shop-pr-1') === undefined ? true : undefined), 60_000, 'the ConfigMap deleted');
    assert.equal(getObject('service', '-n', 'shop-pr-1', 'shop'), undefined);
    // No namespace controller runs here, so a deleted namespace stays Terminating.
    const namespace = getObject('namespace', 'shop-pr-1') as { metadata?: { deletionTimestamp?: string } } | undefined;
    assert.ok(namespace === undefined || namespace.metadata?.deletionTimestamp, 'the namespace is being deleted');
    const [preview] = await previews();
    assert.equal(preview?.state, 'closed');
    assert.equal(preview?.applications, 0);
    await eventually(
      async () => (scm.comments.find((c) => c.number === 1)?.body.includes('removed') ? true : undefined),
      30_000,
      'the comment says the preview was removed',
    );
    assert.equal(scm.comments.filter((c) => c.number === 1).length, 1);
    assert.deepEqual(statusesFor(shaA2), ['pending', 'success'], 'the commit status is left as it was');
  });

  it('GitLab: a signed merge request hook lists the project and records its preview', async () => {
    assert.equal((await admin.put('/api/v1/applicationsets', gitlabAppSet(scm.origin, repoURL), 'application/yaml')).status, 201);
    const first = await eventually(
      async () => ((await previews('gl-previews')).length ? await previews('gl-previews') : undefined),
      30_000,
      'MR 7',
    );
    assert.deepEqual(
      first.map((p) => [p.number, p.state]),
      [[7, 'live']],
    );
    scm.pulls.set('group/shop', [
      ...(scm.pulls.get('group/shop') ?? []),
      { number: 8, title: 'MR 8', branch: 'mr-8', sha: shaA2, labels: [] },
    ]);
    const hook = await fetch(`${hub.url}/hooks/gitlab`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': WEBHOOK_SECRET },
      body: JSON.stringify({ object_attributes: { action: 'open', iid: 8 }, project: { id: 42, path_with_namespace: 'group/shop' } }),
    });
    assert.equal(hook.status, 202);
    assert.deepEqual(await hook.json(), { event: 'Merge Request Hook', applicationSets: 1 });
    await eventually(async () => ((await previews('gl-previews')).length === 2 ? true : undefined), 30_000, 'MR 8');
    assert.ok(scm.requests.some((r) => r === 'GET /api/v4/projects/group%2Fshop/merge_requests'));
  });
  it('without a URL annotation, a preview takes its URL from its Ingress (https when it has TLS)', async () => {
    scm.pulls.set('acme/web', [{ number: 5, title: 'Web', branch: 'feature-a', sha: shaA1, labels: [] }]);
    assert.equal((await admin.put('/api/v1/applicationsets', ingressAppSet(scm.origin, repoURL), 'application/yaml')).status, 201);
    await eventually(async () => (getObject('ingress', '-n', 'web-pr-5', 'web') ? true : undefined), 90_000, 'the Ingress applied');
    const [preview] = await eventually(
      async () => {
        const listed = await previews('web-previews');
        return listed[0]?.url ? listed : undefined;
      },
      60_000,
      'the preview URL',
    );
    assert.equal(preview?.url, 'https://web.preview.test');
    await eventually(
      async () => (scm.comments.some((c) => c.repository === 'acme/web' && c.body.includes('https://web.preview.test')) ? true : undefined),
      60_000,
      'the URL in the pull request comment',
    );
  });
});
