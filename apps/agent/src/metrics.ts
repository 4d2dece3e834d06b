import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ApplicationResult } from '#kube';

/** The agent's own signals: what Prometheus scrapes and what the kubelet probes. */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly applies = new Counter({
    name: 'flotilla_agent_applies_total',
    help: 'Plan applies by result (applied: every Application synced; degraded: some not; failed: aborted)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly applyDuration = new Histogram({
    name: 'flotilla_agent_apply_duration_seconds',
    help: 'Time to apply a whole plan (apply, prune, inventory)',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly appliedRevision = new Gauge({
    name: 'flotilla_agent_applied_revision',
    help: 'The plan revision last applied in full',
    registers: [this.registry],
  });
  readonly hubUp = new Gauge({
    name: 'flotilla_agent_hub_up',
    help: '1 when the last call to the hub succeeded, else 0',
    registers: [this.registry],
  });
  readonly selfHeals = new Counter({
    name: 'flotilla_agent_self_heals_total',
    help: 'Objects applied again because they drifted (selfHeal)',
    registers: [this.registry],
  });
  private readonly objects = new Gauge({
    name: 'flotilla_agent_objects',
    help: 'Managed objects by sync and health status, as last reported',
    labelNames: ['sync', 'health'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'flotilla_agent_' });
  }

  /** Sets the object gauges from the newest report. */
  observe(results: readonly ApplicationResult[]): void {
    this.objects.reset();
    const counts = new Map<string, number>();
    for (const app of results)
      for (const object of app.objects)
        counts.set(`${object.sync}/${object.health}`, (counts.get(`${object.sync}/${object.health}`) ?? 0) + 1);
    for (const [key, count] of counts) {
      const [sync, health] = key.split('/') as [string, string];
      this.objects.set({ sync, health }, count);
    }
  }
}

/**
 * `/metrics`, `/healthz` (the process answers) and `/readyz` (a plan is being enforced)
 * on their own port, for Prometheus and the kubelet; nothing else is served.
 */
export function startMetricsServer(metrics: AgentMetrics, port: number, ready: () => boolean): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch(() => response.writeHead(500).end());
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const ok = ready();
      response
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ok' : 'no plan applied yet' }));
      return;
    }
    response.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
