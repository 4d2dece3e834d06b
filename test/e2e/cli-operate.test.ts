import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import {
  type CliResult,
  eventually,
  freePort,
  type GitHttpServer,
  hubClient,
  type KubeApiServer,
  type RunningHub,
  runFlotillaAsync,
  startAgent,
  startFreshHub,
  startGitHttpServer,
  startKubeApiServer,
  suiteScope,
  TestRepository,
  tempDir,
} from '#testing';

/**
 * The operator's commands (trace, diff, rollback, get --watch) run as a subprocess against a
 * real hub, with an agent applying to a real kube-apiserver: what a user sees, exit codes
 * included.
 */

const ADMIN_TOKEN = 'e2e-operate-admin-token-0123456789abcdefghijkl';
const settings = (color: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: guestbook-settings}\ndata: {color: ${color}}\n`;

const appSet = (repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
  generators:
  - clusters: {selector: {matchLabels: {env: prod}}}
  template:
    metadata: {name: 'guestbook-{{name}}'}
    spec:
      project: default
      source: {repoURL: '${repoURL}', targetRevision: main, path: guestbook}
      destination: {server: '{{server}}', namespace: guestbook}
      syncPolicy: {automated: {prune: true, selfHeal: true}, syncOptions: [CreateNamespace=true]}
`;

describe('operating the fleet from the CLI (real hub, agent and kube-apiserver)', { timeout: 600_000 }, () => {
  const suite = suiteScope();
  let hub: RunningHub;
  let hubEnv: Record<string, string>;
  let cluster: KubeApiServer;
  let git: GitHttpServer;
  let repo: TestRepository;
  let env: NodeJS.ProcessEnv;
  let firstCommit: string;
  const flotilla = (...args: string[]): Promise<CliResult> => runFlotillaAsync(args, { env });
  const color = (): string | undefined => {
    try {
      return (
        JSON.parse(cluster.kubectl('get', 'configmap', '-n', 'guestbook', 'guestbook-settings', '-o', 'json')) as {
          data: { color: string };
        }
      ).data.color;
    } catch {
      return undefined;
    }
  };
  const untilColor = (wanted: string) => eventually(async () => (color() === wanted ? true : undefined), 60_000, `color ${wanted}`);
  const latest = async (): Promise<number> =>
    ((await hubClient(hub.url, ADMIN_TOKEN).get('/api/v1/clusters/prod/plans/latest')).body as unknown as { revision: number }).revision;

  before(async () => {
    const work = tempDir(suite, 'flotilla-operate-e2e-');
    repo = TestRepository.init(join(work, 'git', 'apps.git'));
    firstCommit = repo.commit({ 'guestbook/settings.yaml': settings('blue') });
    git = await startGitHttpServer(join(work, 'git'));
    let started: Awaited<ReturnType<typeof startFreshHub>>;
    [cluster, started] = await Promise.all([
      startKubeApiServer(suite),
      startFreshHub(suite, {
        adminToken: ADMIN_TOKEN,
        workDir: work,
        env: { FLOTILLA_GIT_POLL_SECONDS: '1', FLOTILLA_RECONCILE_SECONDS: '1' },
      }),
    ]);
    ({ hub, env: hubEnv } = started);
    env = { PATH: process.env.PATH, HOME: work, FLOTILLA_HUB_URL: hub.url, FLOTILLA_TOKEN: ADMIN_TOKEN, FLOTILLA_WATCH_INTERVAL_MS: '300' };
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    assert.equal((await admin.post('/api/v1/clusters', { name: 'prod', server: cluster.server, labels: { env: 'prod' } })).status, 201);
    const token = (await admin.post('/api/v1/clusters/prod/bootstrap-tokens', {})).body.token as string;
    startAgent(suite, {
      hubUrl: hub.url,
      kubeconfig: cluster.kubeconfigPath,
      bootstrapToken: token,
      env: { FLOTILLA_REFRESH_SECONDS: '2' },
    });
    assert.equal((await admin.put('/api/v1/applicationsets', appSet(git.url('apps.git')), 'application/yaml')).status, 201);
    await untilColor('blue');
  });

  after(async () => {
    await suite.close();
    await git?.close();
  });

  it('get, describe, tree, stats, events and sync show what the real agent reported', async () => {
    await eventually(
      async () => ((await flotilla('get', 'apps')).stdout.match(/^guestbook-prod\s+prod\s+Synced\s+Healthy\s+\d+$/m) ? true : undefined),
      30_000,
      'Synced and Healthy in get apps',
    );
    await eventually(
      async () =>
        (await flotilla('get', 'clusters', '-l', 'env=prod')).stdout.match(/^prod\s+connected\s+registered\s+v1\.\d+\.\d+/m)
          ? true
          : undefined,
      30_000,
      'the kube version from a heartbeat',
    );
    assert.match((await flotilla('get', 'appsets')).stdout, /^argocd\s+guestbook\s+True\s+\d+\/\d+/m);
    assert.match((await flotilla('get', 'plans', '--cluster', 'prod')).stdout, /^REVISION\s+HASH\s+AGE\n\d+\s+sha256:[0-9a-f]{12}\s/m);
    const tree = await flotilla('tree', 'appset', 'argocd/guestbook');
    assert.equal(tree.code, 0, tree.stderr);
    assert.match(tree.stdout, /Application\/guestbook-prod \(cluster prod\) Synced Healthy/);
    assert.match(tree.stdout, /ConfigMap\/guestbook\/guestbook-settings Synced Healthy/);
    const described = await flotilla('describe', 'app', 'guestbook-prod', '--cluster', 'prod');
    assert.equal(described.code, 0, described.stderr);
    assert.match(described.stdout, /guestbook-settings/);
    assert.match((await flotilla('stats')).stdout, /^Application\s+Synced\/Healthy\s+1$/m);
    assert.match((await flotilla('events', '--for', 'cluster/prod')).stdout, /AgentRegistered/);
    const synced = await flotilla('sync', 'appset', 'argocd/guestbook', '--wait');
    assert.equal(synced.code, 0, synced.stderr);
    assert.equal((await flotilla('describe', 'app', 'nope', '--cluster', 'prod')).code, 5);
    assert.equal((await flotilla('get', 'widgets')).code, 2);
  });

  it('trace walks from a live object to its Application, ApplicationSet, parameters and commit', async () => {
    const traced = await flotilla('trace', 'configmap/guestbook-settings', '-n', 'guestbook', '--cluster', 'prod');
    assert.equal(traced.code, 0, traced.stderr);
    const text = traced.stdout;
    assert.match(text, /^Object:\s+ConfigMap guestbook\/guestbook-settings$/m);
    assert.match(text, /^Cluster:\s+prod$/m);
    assert.match(text, /^Application:\s+guestbook-prod$/m);
    assert.match(text, /^ApplicationSet:\s+argocd\/guestbook \(generation \d+, rendered \d+\)$/m);
    assert.match(text, /^Parameters:\s+.*\bname=prod\b.*\bserver=https:\/\/127\.0\.0\.1:\d+/m);
    assert.match(text, new RegExp(`^Revision:\\s+main → ${firstCommit}$`, 'm'));
    assert.match(text, /^Path:\s+guestbook$/m);
    await eventually(
      async () =>
        (await flotilla('trace', 'configmap/guestbook-settings', '--cluster', 'prod')).stdout.match(/^Status:\s+Synced, Healthy/m)
          ? true
          : undefined,
      30_000,
      'the object reported Synced and Healthy',
    );
    const json = JSON.parse((await flotilla('trace', 'ConfigMap/guestbook-settings', '--cluster', 'prod', '-o', 'json')).stdout);
    assert.equal(json[0].applicationSet.name, 'guestbook');
    assert.equal(json[0].parameters.name, 'prod');

    const missing = await flotilla('trace', 'configmap/nope', '-n', 'guestbook', '--cluster', 'prod');
    assert.equal(missing.code, 5);
    assert.match(missing.stderr, /no Application on cluster prod manages configmap guestbook\/nope/);
    const badArg = await flotilla('trace', 'guestbook-settings', '--cluster', 'prod');
    assert.equal(badArg.code, 2);
    assert.match(badArg.stderr, /expected KIND\/NAME/);
    assert.equal((await flotilla('trace', 'configmap/x')).code, 2, '--cluster is required');
  });

  it('diff shows what a revision changes, field by field, and what the agent has yet to apply', async () => {
    const before = await latest();
    repo.commit({ 'guestbook/settings.yaml': settings('green') });
    await untilColor('green');
    const after = await latest();
    assert.ok(after > before);
    const shown = await flotilla('diff', 'prod', '--revision', String(after));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^cluster prod \(https:\/\/127\.0\.0\.1:\d+\):$/m);
    assert.match(shown.stdout, /^ {2}~ \/ConfigMap\/guestbook\/guestbook-settings {2}\[guestbook-prod\]$/m);
    assert.match(shown.stdout, /^ {6}data\.color: "blue" -> "green"$/m);
    await eventually(
      async () => ((await flotilla('diff', 'prod')).stderr.includes(`is at its newest revision ${after}`) ? true : undefined),
      30_000,
      'the agent reported the newest revision',
    );
    assert.equal((await flotilla('diff', 'prod', '--app', 'other', '--revision', String(after))).stdout, 'no changes\n');
    assert.equal((await flotilla('diff', 'prod', '--revision', 'x')).code, 2);
    assert.equal((await flotilla('diff', 'prod', '--revision', '999')).code, 5);
    assert.equal((await flotilla('diff', 'nowhere')).code, 5);
  });

  it('rollback pins an Application to an earlier revision until unpinned', async () => {
    const greenRevision = await latest();
    const blueRevision = greenRevision - 1;
    const pinned = await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--to', String(blueRevision));
    assert.equal(pinned.code, 0, pinned.stderr);
    assert.match(pinned.stdout, new RegExp(`pinned to plan revision ${blueRevision}`));
    await untilColor('blue');
    assert.match(
      (await flotilla('trace', 'configmap/guestbook-settings', '--cluster', 'prod')).stdout,
      new RegExp(`^Pinned:\\s+plan revision ${blueRevision} `, 'm'),
    );
    // A new commit does not move a pinned Application.
    repo.commit({ 'guestbook/settings.yaml': settings('red') });
    await eventually(
      async () => ((await flotilla('trace', 'configmap/guestbook-settings', '--cluster', 'prod')).stdout.includes('→') ? true : undefined),
      10_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(color(), 'blue', 'still pinned');
    const unpinned = await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--unpin');
    assert.equal(unpinned.code, 0, unpinned.stderr);
    await untilColor('red');
    assert.equal((await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--unpin')).code, 5, 'nothing to unpin');
    const both = await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--to', '1', '--unpin');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either --to REVISION or --unpin/);
    assert.equal((await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--to', 'abc')).code, 2);
    const gone = await flotilla('rollback', 'guestbook-prod', '--cluster', 'prod', '--to', '999');
    assert.equal(gone.code, 5);
    assert.match(gone.stderr, /has no plan revision 999/);
    assert.equal((await flotilla('rollback', 'other-app', '--cluster', 'prod', '--to', '1')).code, 5);
  });

  it('get apps --watch prints the table, then a row when the Application changes', async () => {
    // The watch runs until it printed the new revision's row (or 60 s): a loaded machine may take a while.
    let newRow: RegExp | undefined;
    const watching = runFlotillaAsync(['get', 'apps', '--watch'], {
      env,
      timeoutMs: 60_000,
      until: (out) =>
        newRow !== undefined &&
        out
          .split('\n')
          .slice(2)
          .some((line) => newRow?.test(line)),
    });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const revision = await latest();
    newRow = new RegExp(`^guestbook-prod\\s+prod\\s+\\w+\\s+\\w+\\s+${revision + 1}$`);
    repo.commit({ 'guestbook/settings.yaml': settings('purple') });
    await untilColor('purple');
    await eventually(async () => ((await latest()) > revision ? true : undefined), 20_000);
    const { stdout } = await watching;
    const lines = stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^NAME\s+CLUSTER\s+SYNC\s+HEALTH\s+REVISION$/);
    assert.match(lines[1] ?? '', new RegExp(`^guestbook-prod\\s+prod\\s+Synced\\s+Healthy\\s+${revision}$`));
    assert.ok(
      lines.slice(2).some((line) => new RegExp(`^guestbook-prod\\s+prod\\s+\\w+\\s+\\w+\\s+${revision + 1}$`).test(line)),
      `a row for revision ${revision + 1} in:\n${stdout}`,
    );
    assert.ok(!lines.slice(1).some((line) => /^NAME/.test(line)), 'one header');
    assert.equal((await flotilla('get', 'apps', '--watch', '-o', 'json')).code, 2);
  });

  it('answers an unreachable hub with 3 and an expired token with 4', async () => {
    const unreachable = await runFlotillaAsync(['trace', 'configmap/guestbook-settings', '--cluster', 'prod'], {
      env: { ...env, FLOTILLA_HUB_URL: `http://127.0.0.1:${await freePort()}` },
    });
    assert.equal(unreachable.code, 3);
    const admin = hubClient(hub.url, ADMIN_TOKEN);
    const created = await admin.post('/api/v1/tokens', { name: 'short-lived', role: 'viewer', expiresInDays: 1 });
    const db = new pg.Client({ connectionString: hubEnv.DATABASE_URL });
    await db.connect();
    try {
      await db.query(`UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 minute' WHERE id = $1`, [created.body.id]);
    } finally {
      await db.end();
    }
    const expired = await runFlotillaAsync(['diff', 'prod'], { env: { ...env, FLOTILLA_TOKEN: created.body.token as string } });
    assert.equal(expired.code, 4);
    assert.match(expired.stderr, /the hub refused the token .*expired or revoked.*flotilla login/);
  });
});
