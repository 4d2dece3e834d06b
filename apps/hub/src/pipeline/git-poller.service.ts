import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RemoteGitRepositories } from '#sources';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { RedisService } from '../redis/redis.service.js';
import { referencedRepositories } from './appset-facts.js';
import { GIT } from './fleet.providers.js';
import { TriggersService } from './triggers.service.js';

/**
 * Polls the repositories ApplicationSets read, every FLOTILLA_GIT_POLL_SECONDS, on one
 * worker replica at a time (a Redis lock). A repository whose branch or tag heads moved
 * re-renders only the sets that read it. Heads are remembered in Redis; when they are
 * lost, the next poll simply re-renders, which changes nothing if nothing changed.
 */
@Injectable()
export class GitPollerService {
  private readonly logger = new Logger('git-poll');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(GIT) private readonly git: RemoteGitRepositories,
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
    private readonly triggers: TriggersService,
  ) {}

  start(): void {
    const seconds = this.config.FLOTILLA_GIT_POLL_SECONDS;
    if (seconds <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.pollOnce()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`poll failed: ${error.message}`))
        .finally(() => {
          this.running = undefined;
        });
    }, seconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One poll; returns the repositories found changed. */
  async pollOnce(): Promise<string[]> {
    const lock = this.redis.channel('git-poll-lock');
    const acquired = await this.redis.client.set(
      lock,
      String(process.pid),
      'PX',
      Math.max(1000, this.config.FLOTILLA_GIT_POLL_SECONDS * 1000),
      'NX',
    );
    if (acquired !== 'OK') return [];
    const heads = this.redis.channel('git-heads');
    const appSets = await this.prisma.applicationSet.findMany({ select: { document: true, repositories: true } });
    const urls = [...new Set(appSets.flatMap((a) => [...(a.repositories as string[]), ...referencedRepositories(a.document)]))];
    const changed: string[] = [];
    for (const url of urls) {
      try {
        const fingerprint = await this.git.headsFingerprint(url);
        const previous = await this.redis.client.hget(heads, url);
        if (previous !== fingerprint) {
          changed.push(url);
          await this.redis.client.hset(heads, url, fingerprint);
        }
      } catch (error) {
        this.logger.warn(`cannot poll ${url}: ${(error as Error).message}`);
      }
    }
    if (changed.length > 0) await this.triggers.repositoriesChanged(changed);
    return changed;
  }
}
