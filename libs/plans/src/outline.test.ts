import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashedPlan } from './hash.js';
import { planOutline } from './outline.js';
import type { PlannedApplication } from './plan.js';

const app = (name: string, objects?: PlannedApplication['objects'], error?: string): PlannedApplication => ({
  name,
  applicationSet: 'argocd/shop',
  project: 'default',
  namespace: name,
  commit: 'a'.repeat(40),
  sources: [],
  syncPolicy: {},
  ...(objects ? { objects } : {}),
  ...(error ? { error } : {}),
});

const ingress = (spec: Record<string, unknown>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web' },
  spec,
});

describe('planOutline', () => {
  it('names every Application, with the host of its first Ingress that has one and whether any has TLS', () => {
    const plan = hashedPlan({ name: 'c1', server: 'https://c1' }, [
      app('api', [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api' }, spec: { rules: [{ host: 'not-an-ingress' }] } },
        ingress({ rules: [{ http: {} }] }),
        ingress({ rules: [{ host: 'api.pr-1.test' }, { host: 'second.test' }] }),
        ingress({ rules: [{ host: 'later.test' }], tls: [{ hosts: ['later.test'] }] }),
      ]),
      app('plain', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain' } }]),
      app('broken', undefined, 'helm template failed'),
      app('empty-tls', [ingress({ rules: [{ host: '' }, { host: 'skipped.test' }], tls: [] })]),
    ]);
    assert.deepEqual(planOutline(plan), {
      api: { ingressHost: 'api.pr-1.test', ingressTls: true },
      plain: {},
      broken: {},
      'empty-tls': {},
    });
  });

  it('ignores Ingresses whose spec is not what the API would accept', () => {
    const plan = hashedPlan({ name: 'c1', server: 'https://c1' }, [
      app('odd', [
        { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'a' } },
        ingress({ rules: 'web.test', tls: { hosts: [] } }),
        ingress({ rules: [{ host: 42 }] }),
      ]),
    ]);
    assert.deepEqual(planOutline(plan), { odd: {} });
  });
});
