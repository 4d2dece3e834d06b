import { Inject, Injectable, Logger } from '@nestjs/common';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { pullRequestGenerators } from '../pipeline/appset-facts.js';
import { TriggersService } from '../pipeline/triggers.service.js';
import { RedisService } from '../redis/redis.service.js';

/** How often the poller looks for ApplicationSets that are due (their own interval decides). */
const TICK_MS = 5000;

/**
 * Re-renders ApplicationSets with pull request generators every `requeueAfterSeconds` (or
 * FLOTILLA_PULL_REQUEST_POLL_SECONDS), on one worker replica at a time. Webhooks make it
 * immediate; polling catches what webhooks miss. A re-render that lists the same pull
 * requests changes nothing downstream, and GitHub answers unchanged pages with 304.
 */
@Injectable()
export class PullRequestPollerService {
  private readonly logger = new Logger('pull-request-poll');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    private readonly triggers: TriggersService,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.pollOnce()
        .catch((error: Error) => this.logger.warn(`poll failed: ${error.message}`))
        .finally(() => {
          this.running = undefined;
        });
    }, TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns the ids of the ApplicationSets it re-rendered. */
  async pollOnce(now = Date.now()): Promise<string[]> {
    const lock = await this.redis.client.set(this.redis.channel('pull-request-poll-lock'), String(process.pid), 'PX', TICK_MS, 'NX');
    if (lock !== 'OK') return [];
    const candidates = await this.prisma.$queryRaw<Array<{ id: string; document: unknown }>>`
      SELECT id, document FROM "ApplicationSet" WHERE document::text LIKE '%"pullRequest"%'`;
    const lastPolls = this.redis.channel('pull-request-polls');
    const last = candidates.length ? await this.redis.client.hmget(lastPolls, ...candidates.map((c) => c.id)) : [];
    const due: string[] = [];
    for (const [i, candidate] of candidates.entries()) {
      const intervals = pullRequestGenerators(candidate.document).map(
        (g) => g.requeueAfterSeconds ?? this.config.FLOTILLA_PULL_REQUEST_POLL_SECONDS,
      );
      const positive = intervals.filter((seconds) => seconds > 0);
      if (positive.length === 0) continue;
      const previous = Number(last[i] ?? 0);
      // The first pass only records the time: the set was rendered when it was applied.
      if (!previous) await this.redis.client.hset(lastPolls, candidate.id, String(now));
      else if (now - previous >= Math.min(...positive) * 1000) due.push(candidate.id);
    }
    if (due.length === 0) return [];
    await this.redis.client.hset(lastPolls, Object.fromEntries(due.map((id) => [id, String(now)])));
    await this.triggers.renderAppSets(due);
    return due;
  }
}
