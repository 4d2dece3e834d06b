// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are Argo CD's envsubst syntax, not template literals
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEnv, envsubst } from './envsubst.js';
import { toolPathsFromEnv } from './tools.js';

const env = buildEnv({
  appName: 'shop',
  namespace: 'prod',
  source: { repoURL: 'https://git.example.com/x.git', path: 'apps/shop', targetRevision: 'main' },
  refs: new Map(),
  kubeVersion: '1.31.0',
});

describe('envsubst (Go os.Expand with Argo CD build variables)', () => {
  it('expands $NAME and ${NAME}, keeps $$ as $, empties unknown names', () => {
    assert.equal(envsubst('$ARGOCD_APP_NAME-${ARGOCD_APP_NAMESPACE}', env, 'f'), 'shop-prod');
    assert.equal(envsubst('${ARGOCD_APP_SOURCE_PATH}@$ARGOCD_APP_SOURCE_TARGET_REVISION $KUBE_VERSION', env, 'f'), 'apps/shop@main 1.31.0');
    assert.equal(envsubst('pa$$word', env, 'f'), 'pa$word');
    assert.equal(envsubst('a$UNKNOWN.b', env, 'f'), 'a.b');
    assert.equal(envsubst('cost: 5$', env, 'f'), 'cost: 5$');
    assert.equal(envsubst('$(x) ${} ${open', env, 'f'), '$(x)  open');
    assert.equal(envsubst('no dollars', env, 'f'), 'no dollars');
  });

  it('refuses the revision and project when the render was not given them', () => {
    assert.throws(
      () => envsubst('img:$ARGOCD_APP_REVISION_SHORT', env, 'kustomize.images[0]'),
      /kustomize\.images\[0\]: \$ARGOCD_APP_REVISION_SHORT is not known for this render/,
    );
  });

  it('substitutes the revision and project when given', () => {
    const known = buildEnv({ appName: 'shop', source: { repoURL: 'r' }, refs: new Map(), revision: '0123456789abcdef', project: 'team-a' });
    assert.equal(
      envsubst('$ARGOCD_APP_REVISION_SHORT/${ARGOCD_APP_REVISION_SHORT_8}@$ARGOCD_APP_PROJECT_NAME', known, 'f'),
      '0123456/01234567@team-a',
    );
  });
});

describe('toolPathsFromEnv', () => {
  it('reads HELM_BIN/KUSTOMIZE_BIN/KUBECTL_BIN, resolving bare names on PATH, with defaults', () => {
    const paths = toolPathsFromEnv({ PATH: '/nonexistent:/bin:/usr/bin', HELM_BIN: '/opt/helm', KUSTOMIZE_BIN: 'sh' });
    assert.equal(paths.helm, '/opt/helm');
    assert.match(paths.kustomize, /^\/(usr\/)?bin\/sh$/);
    assert.match(paths.kubectl, /^\/(usr\/)?bin\/kubectl$/);
    assert.equal(paths.searchPath, '/nonexistent:/bin:/usr/bin');
    assert.deepEqual(toolPathsFromEnv({ PATH: '/nonexistent' }), {
      helm: 'helm',
      kustomize: 'kustomize',
      kubectl: 'kubectl',
      searchPath: '/nonexistent',
    });
  });
});
