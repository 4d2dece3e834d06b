import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubClient, startFakeScm, startFreshHub, startGitHttpServer, suiteScope, TestRepository } from '../test/support/index.js';
import { emit, latencyStats, sized } from './common.js';

/**
 * Previews at scale: BENCH_PR_REPOS repositories (5) with BENCH_PRS_PER_REPO open, labelled
 * pull requests each (100), one preview ApplicationSet per repository (pull request ×
 * BENCH_PR_CLUSTERS clusters matrix). Then BENCH_PR_EVENTS pushes, one at a time: a new commit,
 * the pull request's head moved, a signed `pull_request synchronize` webhook. Measured: the
 * time from sending the webhook until a simulated agent of one cluster receives a plan
 * revision holding the new commit (p50/p95/p99), and the same for a burst of webhooks sent
 * together. Also: the time until every preview's plan is delivered, and until every pull
 * request has its first status and comment.
 */

const REPOS = sized('BENCH_PR_REPOS', 5, 2);
const PRS_PER_REPO = sized('BENCH_PRS_PER_REPO', 100, 5);
const CLUSTERS = sized('BENCH_PR_CLUSTERS', 5, 2);
const EVENTS = sized('BENCH_PR_EVENTS', 40, 4);
const BURST = sized('BENCH_PR_BURST', 10, 2);
const ADMIN = `bench-${randomBytes(24).toString('hex')}`;
const SECRET = `bench-webhook-${randomBytes(8).toString('hex')}`;
const TOKEN = `bench-scm-${randomBytes(8).toString('hex')}`;

const appSet = (repo: string, scm: string, repoURL: string) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: ${repo}, namespace: previews}
spec:
  generators:
  - matrix:
      generators:
      - pullRequest:
          github: {owner: bench, repo: ${repo}, api: ${scm}, tokenRef: {secretName: scm, key: token}, labels: [preview]}
      - clusters: {selector: {matchLabels: {env: preview}}}
  template:
    metadata: {name: '${repo}-{{number}}-{{name}}'}
    spec:
      project: default
      source: {repoURL: ${repoURL}, targetRevision: '{{head_sha}}', path: app}
      destination: {server: '{{server}}', namespace: '${repo}-pr-{{number}}'}
`;

async function main(): Promise<void> {
  const suite = suiteScope();
  const work = mkdtempSync(join(tmpdir(), 'flotilla-bench-previews-'));
  const repo = TestRepository.init(join(work, 'git', 'app.git'));
  const base = repo.commit({ 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: "0"}\n' });
  const git = await startGitHttpServer(join(work, 'git'));
  const scm = await startFakeScm({ token: TOKEN });
  const repos = Array.from({ length: REPOS }, (_, i) => `repo-${i}`);
  for (const name of repos) {
    scm.pulls.set(
      `bench/${name}`,
      Array.from({ length: PRS_PER_REPO }, (_, n) => ({
        number: n + 1,
        title: `PR ${n + 1}`,
        branch: `b-${n + 1}`,
        sha: base,
        labels: ['preview'],
      })),
    );
  }
  const { hub } = await startFreshHub(suite, {
    adminToken: ADMIN,
    workDir: work,
    env: { FLOTILLA_WEBHOOK_SECRET: SECRET, FLOTILLA_SECRET_KEY: randomBytes(32).toString('hex'), FLOTILLA_PULL_REQUEST_POLL_SECONDS: '0' },
  });
  const admin = hubClient(hub.url, ADMIN);
  await admin.put('/api/v1/secrets/scm', { data: { token: TOKEN } });
  let credential = '';
  for (let i = 0; i < CLUSTERS; i++) {
    await admin.post('/api/v1/clusters', { name: `c${i}`, server: `https://c${i}.bench.invalid`, labels: { env: 'preview' } });
    if (i === 0) {
      const bootstrap = (await admin.post('/api/v1/clusters/c0/bootstrap-tokens', {})).body.token as string;
      const registered = await fetch(`${hub.url}/agent/v1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bootstrapToken: bootstrap }),
      });
      credential = ((await registered.json()) as { credential: string }).credential;
    }
  }

  // The simulated agent of cluster c0: long-polls and remembers when each commit first arrived.
  const arrived = new Map<string, number>();
  let revision = 0;
  let polling = true;
  const agent = (async () => {
    while (polling) {
      const response = await fetch(`${hub.url}/agent/v1/plan?after=${revision}&waitSeconds=5`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        continue;
      }
      const body = (await response.json()) as { revision: number; plan: { applications: Array<{ commit: string }> } };
      revision = body.revision;
      const now = performance.now();
      for (const app of body.plan.applications) if (!arrived.has(app.commit)) arrived.set(app.commit, now);
    }
  })();

  const setupStart = performance.now();
  for (const name of repos) await admin.put('/api/v1/applicationsets', appSet(name, scm.origin, git.url('app.git')), 'application/yaml');
  const expectedApps = REPOS * PRS_PER_REPO;
  for (;;) {
    const latest = await fetch(`${hub.url}/agent/v1/plan?after=0&waitSeconds=0`, { headers: { authorization: `Bearer ${credential}` } });
    const body = latest.status === 200 ? ((await latest.json()) as { plan: { applications: unknown[] } }) : undefined;
    if ((body?.plan.applications.length ?? 0) >= expectedApps) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const setupSeconds = (performance.now() - setupStart) / 1000;
  // Every new preview gets a pending status and a comment; let that settle before measuring pushes.
  while (scm.comments.length < expectedApps) await new Promise((resolve) => setTimeout(resolve, 100));
  const feedbackSeconds = (performance.now() - setupStart) / 1000;

  const deliver = async (repoName: string, number: number): Promise<number> => {
    const body = JSON.stringify({ action: 'synchronize', number, repository: { full_name: `bench/${repoName}` } });
    const sent = performance.now();
    const response = await fetch(`${hub.url}/hooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'pull_request',
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
    await response.body?.cancel();
    return sent;
  };
  const push = (event: number): { repoName: string; number: number; sha: string } => {
    const repoName = repos[event % REPOS] as string;
    const number = 1 + ((event * 37) % PRS_PER_REPO);
    const sha = repo.commit({ 'app/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {version: "${event + 1}"}\n` });
    const pull = scm.pulls.get(`bench/${repoName}`)?.find((p) => p.number === number);
    if (pull) pull.sha = sha;
    return { repoName, number, sha };
  };
  const waitFor = async (sha: string, sent: number, timeoutMs = 60_000): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    while (!arrived.has(sha)) {
      if (Date.now() > deadline) throw new Error(`commit ${sha} never reached the agent`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return (arrived.get(sha) as number) - sent;
  };

  const sequential: number[] = [];
  for (let event = 0; event < EVENTS; event++) {
    const { repoName, number, sha } = push(event);
    sequential.push(await waitFor(sha, await deliver(repoName, number)));
  }
  const burstEvents = Array.from({ length: BURST }, (_, i) => push(EVENTS + i));
  const sentAll = await Promise.all(burstEvents.map((e) => deliver(e.repoName, e.number)));
  const burst = await Promise.all(burstEvents.map((e, i) => waitFor(e.sha, sentAll[i] as number)));

  polling = false;
  await agent.catch(() => undefined);
  await suite.close();
  await Promise.all([git.close(), scm.close()]);
  rmSync(work, { recursive: true, force: true });
  const result = {
    repositories: REPOS,
    pullRequests: REPOS * PRS_PER_REPO,
    clusters: CLUSTERS,
    applications: REPOS * PRS_PER_REPO * CLUSTERS,
    setupSeconds,
    feedbackSeconds,
    sequential: latencyStats(sequential),
    burst: latencyStats(burst),
    scmListings: scm.requests.filter((r) => r.startsWith('GET ')).length,
  };
  emit({ scenario: 'previews', ...result });
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(error);
    process.exit(1);
  },
);
