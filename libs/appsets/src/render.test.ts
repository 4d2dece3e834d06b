import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregateSpecError, type Application, type ClusterInfo, FlotillaError } from '#contracts';
import { createDefaultRegistry, type GeneratorSources } from '#generators';
import { parseApplicationSets } from './parse.js';
import { renderApplicationSet } from './render.js';

const registry = createDefaultRegistry();

const CLUSTERS: ClusterInfo[] = [
  { name: 'prod-eu', server: 'https://prod-eu.example.com', labels: { env: 'prod', region: 'eu' }, annotations: {} },
  { name: 'dev', server: 'https://dev.example.com', labels: { env: 'dev' }, annotations: { owner: 'team-a' } },
];
const sources: GeneratorSources = { clusters: { listClusters: async () => CLUSTERS } };

async function render(yaml: string): Promise<{ applications: Application[]; warnings: string[] }> {
  const [appSet] = parseApplicationSets(yaml, registry);
  assert.ok(appSet);
  return renderApplicationSet(appSet, { sources, registry });
}

async function renderError(yaml: string): Promise<string[]> {
  try {
    await render(yaml);
  } catch (error) {
    if (error instanceof AggregateSpecError) return error.errors.map((e) => e.message);
    if (error instanceof FlotillaError) return [error.message];
    throw error;
  }
  assert.fail('expected rendering to fail');
}

const argo = (spec: string, extra = ''): string => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: guestbook, namespace: argocd}
spec:
${extra}${spec}`;

const LIST_TEMPLATE = `
  generators:
  - list:
      elements:
      - {cluster: engineering-dev, url: 'https://1.2.3.4'}
      - {cluster: engineering-prod, url: 'https://2.4.6.8'}
  template:
    metadata:
      name: '{{cluster}}-guestbook'
      namespace: ignored
    spec:
      project: default
      source: {repoURL: 'https://github.com/example/apps.git', targetRevision: HEAD, path: 'guestbook/{{cluster}}'}
      destination: {server: '{{url}}', namespace: guestbook}
`;

describe('renderApplicationSet', () => {
  it('renders one Application per parameter set, in the ApplicationSet namespace, with the resources finalizer', async () => {
    const { applications, warnings } = await render(argo(LIST_TEMPLATE));
    assert.deepEqual(warnings, []);
    assert.deepEqual(applications[0], {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'engineering-dev-guestbook', namespace: 'argocd', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
      spec: {
        project: 'default',
        source: { repoURL: 'https://github.com/example/apps.git', path: 'guestbook/engineering-dev', targetRevision: 'HEAD' },
        destination: { server: 'https://1.2.3.4', namespace: 'guestbook' },
      },
    });
    assert.equal(applications[1]?.metadata.name, 'engineering-prod-guestbook');
  });

  it('leaves the finalizer out when resources are preserved, and keeps the template finalizers', async () => {
    const preserved = await render(argo(LIST_TEMPLATE, '  syncPolicy: {preserveResourcesOnDeletion: true}\n'));
    assert.equal(preserved.applications[0]?.metadata.finalizers, undefined);
    const own = await render(argo(LIST_TEMPLATE.replace('namespace: ignored', 'finalizers: [example.com/keep]')));
    assert.deepEqual(own.applications[0]?.metadata.finalizers, ['example.com/keep']);
  });

  it('applies a templated templatePatch per Application', async () => {
    const patch = `  templatePatch: |
    metadata:
      annotations:
        team: '{{cluster}}'
    spec:
      syncPolicy:
        automated: {prune: true}
      source:
        path: null
`;
    const { applications } = await render(argo(LIST_TEMPLATE, patch));
    const app = applications[1] as Application;
    assert.deepEqual(app.metadata.annotations, { team: 'engineering-prod' });
    assert.deepEqual(app.spec.syncPolicy, { automated: { prune: true } });
    assert.deepEqual(app.spec.source, { repoURL: 'https://github.com/example/apps.git', targetRevision: 'HEAD' });
  });

  it('rejects a templatePatch that does not render to a map', async () => {
    const messages = await renderError(argo(LIST_TEMPLATE, '  templatePatch: "[1, 2]"\n'));
    assert.deepEqual(messages, ['spec.templatePatch: must render to a map', 'spec.templatePatch: must render to a map']);
  });

  it("merges a generator's own template over the ApplicationSet template", async () => {
    const yaml = argo(
      LIST_TEMPLATE.replace(
        "      - {cluster: engineering-prod, url: 'https://2.4.6.8'}",
        "      - {cluster: engineering-prod, url: 'https://2.4.6.8'}\n      template:\n        metadata: {}\n        spec: {project: '{{cluster}}-project'}",
      ),
    );
    const { applications } = await render(yaml);
    assert.equal(applications[0]?.spec.project, 'engineering-dev-project');
    assert.deepEqual(applications[0]?.spec.destination, { server: 'https://1.2.3.4', namespace: 'guestbook' });
  });

  it('templates map keys as well as values', async () => {
    const yaml = argo(LIST_TEMPLATE.replace('namespace: ignored', "annotations: {'example.com/{{cluster}}': 'yes'}"));
    const { applications } = await render(yaml);
    assert.deepEqual(applications[0]?.metadata.annotations, { 'example.com/engineering-dev': 'yes' });
  });

  it('rejects duplicate Application names', async () => {
    const messages = await renderError(argo(LIST_TEMPLATE.replace("name: '{{cluster}}-guestbook'", 'name: guestbook')));
    assert.deepEqual(messages, [
      'spec.template.metadata.name: ApplicationSet guestbook generates more than one Application named "guestbook"',
    ]);
  });

  it('rejects an empty generated name', async () => {
    const messages = await renderError(
      argo(LIST_TEMPLATE.replace("name: '{{cluster}}-guestbook'", "name: '{{nothing}}'").replace('{{nothing}}', '')),
    );
    assert.match(messages[0] as string, /^spec\.template\.metadata\.name: renders to an empty name/);
  });

  it('reports a template syntax error with its field path', async () => {
    const messages = await renderError(argo(LIST_TEMPLATE.replace("path: 'guestbook/{{cluster}}'", "path: 'guestbook/{{cluster}'")));
    assert.match(messages[0] as string, /^spec\.template\.spec\.source\.path: template "guestbook\/\{\{cluster\}" has an unclosed tag/);
  });

  it('reports every failing generator, not just the first', async () => {
    const yaml = argo(`
  generators:
  - list: {elements: [{cluster: a, replicas: 3}]}
  - git: {repoURL: 'https://git.example.com/none.git', directories: [{path: '*'}]}
  template:
    metadata: {name: '{{cluster}}'}
    spec: {project: default, destination: {server: 'https://x'}}
`);
    const messages = await renderError(yaml);
    assert.equal(messages.length, 2);
    assert.match(messages[0] as string, /^spec\.generators\[0\]\.list\.elements\[0\]\.replicas: must be a string/);
    assert.match(messages[1] as string, /^spec\.generators\[1\]\.git\.repoURL: no git source is configured/);
  });

  it('answers goTemplate with a clear not-supported-yet error', async () => {
    const messages = await renderError(argo(LIST_TEMPLATE, '  goTemplate: true\n'));
    assert.match(messages[0] as string, /^spec\.goTemplate: Go templates are not supported yet/);
  });

  it('warns about names Kubernetes would refuse and destinations without a target', async () => {
    const yaml = argo(
      LIST_TEMPLATE.replace("name: '{{cluster}}-guestbook'", "name: '{{cluster}}_Guestbook'").replace("server: '{{url}}', ", ''),
    );
    const { warnings } = await render(yaml);
    assert.equal(warnings.length, 4);
    assert.match(warnings[0] as string, /engineering-dev_Guestbook.*not a valid Kubernetes object name/);
    assert.match(warnings[1] as string, /names neither a server nor a cluster name/);
  });

  describe('flotilla.dev/v1alpha1 (Handlebars)', () => {
    const handlebars = (template: string, options = ''): string => `
apiVersion: flotilla.dev/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: flotilla}
spec:
${options}  generators:
  - clusters: {selector: {matchLabels: {env: prod}}, values: {tier: '{{upper metadata.labels.env}}'}}
  template:
${template}`;

    it('gives templates nested params and the helpers', async () => {
      const { applications } = await render(
        handlebars(`    metadata:
      name: '{{sanitize name}}-{{default metadata.labels.team "shared"}}'
      labels: {region: '{{metadata.labels.region}}', tier: '{{values.tier}}'}
    spec:
      project: '{{#if (eq metadata.labels.env "prod")}}production{{else}}default{{/if}}'
      source: {repoURL: 'https://example.com/r.git', path: 'apps/{{trunc name 4}}', targetRevision: main}
      destination: {server: '{{server}}', namespace: '<{{lower name}}>'}
`),
      );
      assert.equal(applications.length, 1);
      const [app] = applications as [Application];
      assert.equal(app.apiVersion, 'flotilla.dev/v1alpha1');
      assert.deepEqual(app.metadata.labels, { region: 'eu', tier: 'PROD' });
      assert.equal(app.metadata.name, 'prod-eu-shared');
      assert.equal(app.spec.project, 'production');
      assert.deepEqual(app.spec.source, { repoURL: 'https://example.com/r.git', path: 'apps/prod', targetRevision: 'main' });
      assert.deepEqual(app.spec.destination, { server: 'https://prod-eu.example.com', namespace: '<prod-eu>' });
    });

    it('makes a missing param an error with goTemplateOptions missingkey=error', async () => {
      const template = `    metadata: {name: '{{name}}-{{metadata.labels.missing}}'}
    spec: {project: default, destination: {server: '{{server}}'}}
`;
      const lenient = await render(handlebars(template));
      assert.equal(lenient.applications[0]?.metadata.name, 'prod-eu-');
      const messages = await renderError(handlebars(template, '  goTemplateOptions: [missingkey=error]\n'));
      assert.match(messages[0] as string, /^spec\.template\.metadata\.name: template .* failed: "missing" not defined/);
    });

    it('refuses goTemplate on its own kind', async () => {
      const messages = await renderError(handlebars('    metadata: {name: x}\n', '  goTemplate: true\n'));
      assert.match(messages[0] as string, /^spec\.goTemplate: flotilla\.dev\/v1alpha1 ApplicationSets use Handlebars/);
    });
  });
});
