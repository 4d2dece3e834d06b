import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { createRepository, runFlotilla, tempDir } from '#testing';

const flotilla = (args: string[], input?: string) => runFlotilla(args, input === undefined ? {} : { input });

const REPO_URL = 'https://git.example.com/platform/cluster-config.git';

const MATRIX_APPSET = `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: addons, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {env: prod}}}
      - git:
          repoURL: ${REPO_URL}
          revision: release
          files:
          - path: 'addons/*/{{metadata.labels.env}}.yaml'
  template:
    metadata: {name: '{{addon.name}}-{{nameNormalized}}'}
    spec:
      project: default
      source: {repoURL: ${REPO_URL}, targetRevision: release, path: '{{path}}'}
      destination: {server: '{{server}}', namespace: '{{addon.namespace}}'}
`;

const CLUSTERS = `
- name: Prod_EU
  server: https://prod-eu.example.com
  labels: {env: prod}
- name: dev
  server: https://dev.example.com
  labels: {env: dev}
`;

describe('flotilla render', () => {
  it('renders a matrix of clusters and git files read from a real repository at a branch', (t) => {
    const dir = tempDir(t);
    const repo = createRepository(t, { 'addons/metrics/prod.yaml': 'addon: {name: metrics, namespace: monitoring}\n' });
    repo.git('checkout', '-q', '-b', 'release');
    repo.commit({
      'addons/ingress/prod.yaml': 'addon: {name: ingress, namespace: ingress}\n',
      'addons/ingress/dev.yaml': 'addon: {name: x}\n',
    });
    repo.git('checkout', '-q', 'main');
    writeFileSync(join(dir, 'appset.yaml'), MATRIX_APPSET);
    writeFileSync(join(dir, 'clusters.yaml'), CLUSTERS);

    const result = flotilla([
      'render',
      '-f',
      join(dir, 'appset.yaml'),
      '--clusters',
      join(dir, 'clusters.yaml'),
      '--git-repo',
      `${REPO_URL}=${repo.path}`,
    ]);

    assert.equal(result.stderr, '');
    assert.equal(result.code, 0);
    const apps = JSON.parse(result.stdout) as Array<{
      metadata: { name: string };
      spec: { source: { path: string }; destination: unknown };
    }>;
    assert.deepEqual(
      apps.map((a) => [a.metadata.name, a.spec.source.path, a.spec.destination]),
      [
        ['ingress-prod-eu', 'addons/ingress', { server: 'https://prod-eu.example.com', namespace: 'ingress' }],
        ['metrics-prod-eu', 'addons/metrics', { server: 'https://prod-eu.example.com', namespace: 'monitoring' }],
      ],
    );
  });

  it('prints a YAML document stream with -o yaml and reads the ApplicationSet from standard input', () => {
    const appSet = `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: demo, namespace: argocd}
spec:
  generators: [{list: {elements: [{env: dev}, {env: prod}]}}]
  template:
    metadata: {name: 'demo-{{env}}'}
    spec: {project: default, destination: {server: 'https://kubernetes.default.svc', namespace: '{{env}}'}}
`;
    const result = flotilla(['render', '-f', '-', '-o', 'yaml'], appSet);
    assert.equal(result.code, 0, result.stderr);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string } });
    assert.deepEqual(
      docs.map((d) => [d.kind, d.metadata.name]),
      [
        ['Application', 'demo-dev'],
        ['Application', 'demo-prod'],
      ],
    );
  });

  const failures: Array<{ name: string; files: Record<string, string>; args: (dir: string) => string[]; stderr: RegExp; code?: number }> = [
    {
      name: 'an invalid ApplicationSet',
      files: { 'appset.yaml': MATRIX_APPSET.replace('files:', 'filez:') },
      args: (dir) => ['render', '-f', join(dir, 'appset.yaml')],
      stderr:
        /^error: 2 problems:\n {2}spec\.generators\[0\]\.matrix\.generators\[1\]\.git\.filez: unknown field\n {2}spec\.generators\[0\]\.matrix\.generators\[1\]\.git: set exactly one of directories or files\n$/,
    },
    {
      name: 'invalid YAML',
      files: { 'appset.yaml': 'spec: [\n' },
      args: (dir) => ['render', '-f', join(dir, 'appset.yaml')],
      stderr: /^error: .*appset\.yaml: not valid YAML: .*line 2/,
    },
    {
      name: 'a missing file',
      files: {},
      args: (dir) => ['render', '-f', join(dir, 'nope.yaml')],
      stderr: /^error: -f .*nope\.yaml: no such file\n$/,
    },
    {
      name: 'an invalid clusters file',
      files: { 'appset.yaml': MATRIX_APPSET, 'clusters.yaml': '- name: a\n  server: not a url\n' },
      args: (dir) => ['render', '-f', join(dir, 'appset.yaml'), '--clusters', join(dir, 'clusters.yaml')],
      stderr: /^error: .*clusters\.yaml\[0\]\.server: must be the URL of the cluster API server\n$/,
    },
    {
      name: 'a repository that was not given',
      files: { 'appset.yaml': MATRIX_APPSET, 'clusters.yaml': CLUSTERS },
      args: (dir) => ['render', '-f', join(dir, 'appset.yaml'), '--clusters', join(dir, 'clusters.yaml')],
      stderr:
        /^error: spec\.generators\[0\]\.matrix\.generators\[1\]\.git\.repoURL: no local repository given for https:\/\/git\.example\.com\/platform\/cluster-config\.git/,
    },
    {
      name: 'an unknown flag',
      files: {},
      args: (dir) => ['render', '-f', join(dir, 'appset.yaml'), '--bogus'],
      stderr: /unknown option '--bogus'/,
      code: 2,
    },
  ];

  for (const failure of failures) {
    it(`exits non-zero with a one-line reason and no output for ${failure.name}`, (t) => {
      const dir = tempDir(t);
      for (const [name, content] of Object.entries(failure.files)) writeFileSync(join(dir, name), content);
      const result = flotilla(failure.args(dir));
      assert.equal(result.code, failure.code ?? 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, failure.stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  it('documents its flags in --help', () => {
    const result = flotilla(['render', '--help']);
    assert.equal(result.code, 0);
    for (const flag of ['--file', '--clusters', '--git-repo', '--pull-requests', '--output']) assert.match(result.stdout, new RegExp(flag));
  });
});
