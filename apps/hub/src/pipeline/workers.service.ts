import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { NotificationSender } from '../notifications/notification-sender.service.js';
import { PreviewFeedbackService } from '../previews/feedback.service.js';
import { PullRequestPollerService } from '../previews/pull-request-poller.service.js';
import { GitPollerService } from './git-poller.service.js';
import { type FeedbackJob, type NotifyJob, type PlanJob, QUEUE, type RenderJob } from './jobs.js';
import { PlanService } from './plan.service.js';
import { ReconcilerService } from './reconciler.service.js';
import { RenderService } from './render.service.js';

/** The worker role: BullMQ workers for render, plan and preview feedback jobs, the reconcile loop and the pollers. */
@Injectable()
export class WorkersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('workers');
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly renderService: RenderService,
    private readonly planService: PlanService,
    private readonly reconciler: ReconcilerService,
    private readonly poller: GitPollerService,
    private readonly pullRequestPoller: PullRequestPollerService,
    private readonly feedback: PreviewFeedbackService,
    private readonly notifications: NotificationSender,
    private readonly metrics: MetricsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.workers.push(
      this.worker<RenderJob>(QUEUE.render, (job) => this.renderService.run(job.data), 2),
      this.worker<PlanJob>(QUEUE.plan, (job) => this.planService.run(job.data), this.config.FLOTILLA_PLAN_CONCURRENCY),
      this.worker<FeedbackJob>(QUEUE.feedback, (job) => this.feedback.run(job.data), 4),
      this.worker<NotifyJob>(QUEUE.notify, (job) => this.notifications.run(job.data), 4),
    );
    await this.reconciler.start();
    this.poller.start();
    this.pullRequestPoller.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.reconciler.stop();
    await Promise.all([this.poller.stop(), this.pullRequestPoller.stop()]);
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled(this.connections.map((c) => c.quit()));
  }

  private worker<T>(queue: string, handle: (job: Job<T>) => Promise<unknown>, concurrency: number): Worker {
    const connection = new Redis(this.config.REDIS_URL, { maxRetriesPerRequest: null });
    this.connections.push(connection);
    const worker = new Worker<T>(
      queue,
      async (job) => {
        if (!job.data || typeof job.data !== 'object') throw new UnrecoverableError('malformed job');
        this.metrics.jobWait.observe({ queue }, Math.max(0, (Date.now() - job.timestamp) / 1000));
        return handle(job);
      },
      { connection, prefix: `${this.config.FLOTILLA_REDIS_PREFIX}:bull`, concurrency },
    );
    worker.on('failed', (job, error) =>
      this.logger.warn(`${queue} job ${job?.id} failed (attempt ${job?.attemptsMade}): ${error.message}`),
    );
    worker.on('error', (error) => this.logger.error(`${queue} worker: ${error.message}`));
    return worker;
  }
}
