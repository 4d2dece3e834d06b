import { Injectable, Optional } from '@nestjs/common';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { PrismaService } from '../database/prisma.service.js';
import { PlanNotifier } from '../pipeline/plan-notifier.service.js';
import { QueuesService } from '../pipeline/queues.service.js';

/**
 * The hub's Prometheus metrics. Counters and histograms are updated where the work
 * happens; fleet gauges (queue depth, clusters, Application status) are read when
 * Prometheus scrapes, so they cost nothing between scrapes. One registry per hub, so
 * several hubs in one process (tests) never share series.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'flotilla_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly renders = new Counter({
    name: 'flotilla_renders_total',
    help: 'ApplicationSet render jobs by result (rendered; unchanged: the Applications stored already; inputs_unchanged: not rendered, its document and clusters as its last render read them; failed; stale)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly renderDuration = new Histogram({
    name: 'flotilla_render_duration_seconds',
    help: 'Time to render an ApplicationSet and store its Applications',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly planJobDuration = new Histogram({
    name: 'flotilla_plan_job_duration_seconds',
    help: 'Time to plan a batch of clusters and store their new revisions',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: 'flotilla_retries_total',
    help: 'Failed work tried again after its backoff (work: render, an ApplicationSet; plan, a cluster with a failed Application)',
    labelNames: ['work'] as const,
    registers: [this.registry],
  });
  readonly planRevisions = new Counter({
    name: 'flotilla_plan_revisions_total',
    help: 'Plan revisions stored (a plan whose hash changed)',
    registers: [this.registry],
  });

  readonly jobWait = new Histogram({
    name: 'flotilla_job_wait_seconds',
    help: 'Time jobs waited in the queue before a worker took them',
    labelNames: ['queue'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  constructor(
    private readonly prisma: PrismaService,
    private readonly queues: QueuesService,
    @Optional() private readonly notifier?: PlanNotifier,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'flotilla_hub_' });
    const service = this;
    new Gauge({
      name: 'flotilla_queue_jobs',
      help: 'Jobs in the render and plan queues by state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        for (const queue of [service.queues.render, service.queues.plan]) {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        }
      },
    });
    new Gauge({
      name: 'flotilla_agents_waiting',
      help: 'Agents holding a long-poll on this replica',
      registers: [this.registry],
      collect() {
        this.set(service.notifier?.waiting ?? 0);
      },
    });
    new Gauge({
      name: 'flotilla_clusters',
      help: 'Registered clusters by state',
      labelNames: ['state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await service.prisma.cluster.groupBy({ by: ['state'], _count: { _all: true } });
        for (const row of rows) this.set({ state: row.state }, row._count._all);
      },
    });
    new Gauge({
      name: 'flotilla_cluster_last_seen_timestamp_seconds',
      help: "Time of each cluster's last agent heartbeat or report",
      labelNames: ['cluster'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await service.prisma.cluster.findMany({ select: { name: true, lastHeartbeatAt: true } });
        for (const row of rows) if (row.lastHeartbeatAt) this.set({ cluster: row.name }, row.lastHeartbeatAt.getTime() / 1000);
      },
    });
    new Gauge({
      name: 'flotilla_applications',
      help: 'Applications on clusters by reported sync and health status',
      labelNames: ['sync', 'health'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        const rows = await service.prisma.applicationStatus.groupBy({ by: ['sync', 'health'], _count: { _all: true } });
        for (const row of rows) this.set({ sync: row.sync, health: row.health }, row._count._all);
      },
    });
  }
}
