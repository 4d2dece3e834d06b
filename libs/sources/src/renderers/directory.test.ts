import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceError } from '#contracts';
import { createRepository, type FileTree } from '#testing';
import { DirectoryRenderer } from './directory.js';
import type { KubeObject, RenderSourceInput } from './types.js';

const cm = (name: string, extra = ''): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

function input(checkout: string, path: string, directory?: Record<string, unknown>): RenderSourceInput {
  return { appName: 'app', source: { repoURL: 'https://git.example.com/x.git', path, directory }, checkout, refs: new Map() };
}

async function render(
  t: Parameters<typeof createRepository>[0],
  files: FileTree,
  path: string,
  directory?: Record<string, unknown>,
): Promise<KubeObject[]> {
  const repo = createRepository(t, files);
  return new DirectoryRenderer().render(input(repo.path, path, directory));
}

const names = (objects: KubeObject[]): string[] => objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe('DirectoryRenderer', () => {
  it('reads .yaml, .yml and .json files in name order: multi-document, List items flattened, empty documents skipped', async (t) => {
    const objects = await render(
      t,
      {
        'app/b.yaml': `---\n${cm('b1')}---\n# only a comment\n---\n${cm('b2')}`,
        'app/a.yml': cm('a'),
        'app/c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c' } }),
        'app/d.yaml': `apiVersion: v1\nkind: List\nitems:\n- ${cm('d1').replace(/\n(?=.)/g, '\n  ')}- ${cm('d2').replace(/\n(?=.)/g, '\n  ')}`,
        'app/e.yaml': 'apiVersion: v1\nkind: ConfigMapList\nitems: null\n',
        'app/README.md': '# not a manifest',
        'app/notes.txt': cm('ignored'),
      },
      'app',
    );
    assert.deepEqual(names(objects), ['ConfigMap/a', 'ConfigMap/b1', 'ConfigMap/b2', 'Service/c', 'ConfigMap/d1', 'ConfigMap/d2']);
  });

  it('reads YAML as Kubernetes does (YAML 1.1 booleans and octals, timestamps stay strings)', async (t) => {
    const [object] = await render(t, { 'm.yaml': cm('x', 'data:\n  enabled: yes\n  mode: 0755\n  day: 2024-01-02\n  time: 1:20\n') }, '');
    assert.deepEqual(object?.data, { enabled: true, mode: 493, day: '2024-01-02', time: '1:20' });
  });

  it('skips YAML files that are not manifests, as Argo CD does, and rejects broken manifests naming the file and document', async (t) => {
    const objects = await render(t, { 'values.yaml': 'replicas: 2\nimage: nginx\n', 'ci.yml': 'on: [push]\n', 'ok.yaml': cm('ok') }, '');
    assert.deepEqual(names(objects), ['ConfigMap/ok']);

    await assert.rejects(
      render(t, { 'bad.yaml': `${cm('first')}---\n${cm('second')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n` }, ''),
      (error: unknown) => error instanceof SourceError && error.message === 'bad.yaml: document 3: ConfigMap object has no metadata.name',
    );
    await assert.rejects(
      render(t, { 'only.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  labels: {}\n' }, ''),
      /only\.yaml: document 1: Secret object has no metadata\.name/,
    );
    await assert.rejects(
      render(t, { 'nokind.yaml': 'apiVersion: v1\nmetadata:\n  name: x\nkind: ""\n' }, ''),
      /nokind\.yaml: document 1: object has no kind/,
    );
    await assert.rejects(render(t, { 'x.json': '{"apiVersion": "v1"}' }, ''), /x\.json: object has no kind, metadata\.name/);
    await assert.rejects(render(t, { 'x.json': '{"apiVersion": ' }, ''), /x\.json: invalid JSON/);
    await assert.rejects(
      render(t, { 'dup.yaml': `${cm('a')}metadata:\n  name: b\n` }, ''),
      /dup\.yaml: document 1: .*[Mm]ap keys must be unique/,
    );
    await assert.rejects(
      render(
        t,
        { 'list.yaml': `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- kind: Secret\n` },
        '',
      ),
      /list\.yaml: document 1: items\[1\] Secret object has no apiVersion, metadata\.name/,
    );
  });

  it('reads sub-directories only with recurse, and filters with include/exclude globs on the relative path', async (t) => {
    const files: FileTree = {
      'app/top.yaml': cm('top'),
      'app/sub/inner.yaml': cm('inner'),
      'app/sub/deeper/config.json': JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' } }),
      'app/a.yaml': cm('a'),
      'app/a/z.yaml': cm('a-z'),
    };
    const repo = createRepository(t, files);
    const renderer = new DirectoryRenderer();
    const run = async (directory?: Record<string, unknown>): Promise<string[]> =>
      (await renderer.render(input(repo.path, 'app', directory))).map((o) => o.metadata.name);

    assert.deepEqual(await run(), ['a', 'top']);
    assert.deepEqual(await run({ recurse: false }), ['a', 'top']);
    // filepath.Walk order: "a/z.yaml" comes before "a.yaml" ("a" sorts before "a.yaml").
    assert.deepEqual(await run({ recurse: true }), ['a-z', 'a', 'deep', 'inner', 'top']);
    assert.deepEqual(await run({ recurse: true, include: '*.json' }), ['deep']);
    assert.deepEqual(await run({ recurse: true, include: '{top.yaml,sub/inner.yaml}' }), ['inner', 'top']);
    assert.deepEqual(await run({ recurse: true, exclude: 'sub/*' }), ['a-z', 'a', 'top']);
    assert.deepEqual(await run({ recurse: true, include: '*.yaml', exclude: '{a/*,top.yaml}' }), ['a', 'inner']);
    await assert.rejects(run({ include: '{a,b' }), /directory\.include is not a valid glob/);
  });

  it('follows symbolic links inside the checkout and refuses jsonnet', async (t) => {
    const objects = await render(t, { 'base/cm.yaml': cm('shared'), 'app/cm.yaml': { symlink: '../base/cm.yaml' } }, 'app');
    assert.deepEqual(names(objects), ['ConfigMap/shared']);

    await assert.rejects(
      render(t, { 'app/x.jsonnet': '{}' }, 'app'),
      (error: unknown) => error instanceof SourceError && /x\.jsonnet: jsonnet is not supported/.test(error.message),
    );
    await assert.rejects(
      render(t, { 'app/a.yaml': cm('a') }, 'app', { jsonnet: { tlas: [{ name: 'x', value: '1' }] } }),
      /directory\.jsonnet: jsonnet is not supported/,
    );
    // An empty jsonnet block, as Argo CD serialises one, is not a jsonnet source.
    assert.deepEqual(names(await render(t, { 'app/a.yaml': cm('a') }, 'app', { jsonnet: {} })), ['ConfigMap/a']);
  });

  it('refuses a checkout with a symbolic link leading out of it, and an oversized manifest set', async (t) => {
    await assert.rejects(
      render(t, { 'app/a.yaml': cm('a'), 'other/passwd.yaml': { symlink: '/etc/passwd' } }, 'app'),
      (error: unknown) => error instanceof SourceError && /symbolic link leading outside it: other\/passwd\.yaml/.test(error.message),
    );
    const repo = createRepository(t, { 'a.yaml': cm('a', `data:\n  x: "${'x'.repeat(200)}"\n`) });
    await assert.rejects(new DirectoryRenderer({ maxBytes: 100 }).render(input(repo.path, '')), /exceed the limit of 100 bytes/);
  });
});
