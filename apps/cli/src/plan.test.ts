import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { createRepository, runFlotilla, tempDir } from '#testing';
import { type TestBinaries, testBinaries } from '../../../libs/sources/src/test-support/tools.js';

const REPO_URL = 'https://git.example.com/platform/apps.git';

const CHART = {
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'charts/web/values.yaml': 'replicas: 1\nimage: nginx:1.27\n',
  'charts/web/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {release-namespace: {{ .Release.Namespace }}}
spec:
  replicas: {{ .Values.replicas }}
  selector: {matchLabels: {app: {{ .Release.Name }}}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}}}
    spec: {containers: [{name: web, image: {{ .Values.image }}}]}
`,
  'kustomize/base/kustomization.yaml': 'resources: [configmap.yaml]\n',
  'kustomize/base/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {color: blue}\n',
  'kustomize/prod/kustomization.yaml': 'resources: [../base]\nnamePrefix: prod-\n',
  'plain/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n',
  'values/prod.yaml': 'replicas: 3\n',
};

const APPSET = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: platform, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {env: prod}}}
      - list:
          elements:
          - {app: web, path: charts/web}
          - {app: settings, path: kustomize/prod}
          - {app: team, path: plain}
  template:
    metadata: {name: '{{app}}-{{name}}'}
    spec:
      project: default
      source: {repoURL: ${REPO_URL}, targetRevision: main, path: '{{path}}', helm: {releaseName: web}}
      destination: {server: '{{server}}', namespace: '{{app}}'}
`;

const CLUSTERS = `
- {name: eu, server: 'https://eu.example.com', labels: {env: prod}}
- {name: us, server: 'https://us.example.com', labels: {env: prod}}
- {name: dev, server: 'https://dev.example.com', labels: {env: dev}}
`;

interface PlanOut {
  cluster: { name: string };
  hash: string;
  applications: Array<{
    name: string;
    commit: string;
    error?: string;
    sources: Array<{ kind: string }>;
    objects: Array<{
      kind: string;
      metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
      spec: { replicas?: number };
    }>;
  }>;
}

describe('flotilla plan', () => {
  let tools: TestBinaries;
  before(async () => {
    tools = await testBinaries();
  });

  const flotilla = (args: string[]) =>
    runFlotilla(args, {
      env: { PATH: process.env.PATH, HELM_BIN: tools.helm, KUSTOMIZE_BIN: tools.kustomize, KUBECTL_BIN: tools.kubectl },
    });

  it('renders helm, kustomize and plain sources into one plan per cluster, and diffs a later commit', (t) => {
    const dir = tempDir(t);
    const repo = createRepository(t, CHART);
    const head = repo.git('rev-parse', 'HEAD');
    writeFileSync(join(dir, 'appset.yaml'), APPSET.replace(', helm: {releaseName: web}', ''));
    writeFileSync(join(dir, 'clusters.yaml'), CLUSTERS);
    const args = [
      'plan',
      '-f',
      join(dir, 'appset.yaml'),
      '--clusters',
      join(dir, 'clusters.yaml'),
      '--git-repo',
      `${REPO_URL}=${repo.path}`,
    ];

    const first = flotilla(args);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    const plans = JSON.parse(first.stdout) as PlanOut[];
    assert.deepEqual(
      plans.map((p) => p.cluster.name),
      ['eu', 'us'],
    );
    const eu = plans[0] as PlanOut;
    assert.deepEqual(
      eu.applications.map((a) => [a.name, a.sources[0]?.kind, a.commit]),
      [
        ['settings-eu', 'kustomize', head],
        ['team-eu', 'directory', head],
        ['web-eu', 'helm', head],
      ],
    );
    const web = eu.applications.find((a) => a.name === 'web-eu')?.objects[0];
    assert.equal(web?.metadata.name, 'web-eu', 'Helm release name defaults to the Application name');
    assert.equal(web?.metadata.namespace, 'web');
    assert.equal(web?.metadata.labels['release-namespace'], 'web');
    assert.equal(web?.metadata.annotations['flotilla.dev/tracking-id'], 'web-eu:apps/Deployment:web/web-eu');
    assert.equal(web?.spec.replicas, 1);
    const settings = eu.applications.find((a) => a.name === 'settings-eu')?.objects[0];
    assert.equal(settings?.metadata.name, 'prod-settings');
    const namespace = eu.applications.find((a) => a.name === 'team-eu')?.objects[0];
    assert.deepEqual([namespace?.kind, namespace?.metadata.namespace], ['Namespace', undefined]);

    writeFileSync(join(dir, 'old.json'), first.stdout);
    const again = flotilla(args);
    assert.equal((JSON.parse(again.stdout) as PlanOut[])[0]?.hash, eu.hash, 'same inputs, same hash');
    assert.equal(flotilla([...args, '--diff', join(dir, 'old.json')]).stdout, 'no changes\n');

    repo.commit({ 'charts/web/values.yaml': 'replicas: 2\nimage: nginx:1.27\n' });
    const diff = flotilla([...args, '--diff', join(dir, 'old.json')]);
    assert.equal(diff.code, 0, diff.stderr);
    assert.equal(
      diff.stdout,
      [
        'cluster eu (https://eu.example.com):',
        '  ~ apps/Deployment/web/web-eu  [web-eu]',
        '      spec.replicas: 1 -> 2',
        'cluster us (https://us.example.com):',
        '  ~ apps/Deployment/web/web-us  [web-us]',
        '      spec.replicas: 1 -> 2',
        '',
      ].join('\n'),
    );
  });

  it('takes Helm value files from another source by ref, and reports a failing Application without failing the others', (t) => {
    const dir = tempDir(t);
    const repo = createRepository(t, CHART);
    const appSet = APPSET.replace(
      `      source: {repoURL: ${REPO_URL}, targetRevision: main, path: '{{path}}', helm: {releaseName: web}}`,
      `      sources:
      - {repoURL: ${REPO_URL}, targetRevision: main, path: '{{path}}', helm: {releaseName: web, valueFiles: [$values/values/prod.yaml]}}
      - {repoURL: ${REPO_URL}, targetRevision: main, ref: values}`,
    ).replace('{app: team, path: plain}', '{app: team, path: missing/dir}');
    writeFileSync(join(dir, 'appset.yaml'), appSet);
    writeFileSync(join(dir, 'clusters.yaml'), CLUSTERS);
    const result = flotilla([
      'plan',
      '-f',
      join(dir, 'appset.yaml'),
      '--clusters',
      join(dir, 'clusters.yaml'),
      '--git-repo',
      `${REPO_URL}=${repo.path}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const eu = (JSON.parse(result.stdout) as PlanOut[])[0] as PlanOut;
    const web = eu.applications.find((a) => a.name === 'web-eu');
    assert.equal(web?.objects[0]?.spec.replicas, 3);
    assert.equal(web?.objects[0]?.metadata.name, 'web');
    const team = eu.applications.find((a) => a.name === 'team-eu');
    assert.match(team?.error ?? '', /missing\/dir/);
    assert.equal(team?.objects, undefined);
    assert.match(result.stderr, /^warning: eu\/team-eu: .*missing\/dir/m);
  });

  it('rejects a --diff file that is not a plan list', (t) => {
    const dir = tempDir(t);
    const repo = createRepository(t, CHART);
    writeFileSync(join(dir, 'appset.yaml'), APPSET);
    writeFileSync(join(dir, 'old.json'), '{"not": "plans"}');
    const result = flotilla([
      'plan',
      '-f',
      join(dir, 'appset.yaml'),
      '--git-repo',
      `${REPO_URL}=${repo.path}`,
      '--diff',
      join(dir, 'old.json'),
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--diff .*old\.json: not a JSON plan list/);
  });
});
