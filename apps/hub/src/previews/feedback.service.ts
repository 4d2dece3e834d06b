import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { PullRequestFeedback } from '#scm';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { PR_FEEDBACK } from '../pipeline/fleet.providers.js';
import type { FeedbackJob } from '../pipeline/jobs.js';
import { RedisService } from '../redis/redis.service.js';
import { PREVIEW_URL_ANNOTATION, type PreviewApplication, summarisePreview } from './feedback-summary.js';

interface ApplicationRow {
  name: string;
  cluster: string;
  annotations: Record<string, string> | null;
  ingressHost: string | null;
  ingressTls: boolean | null;
  planned: boolean;
  sync: string | null;
  health: string | null;
  message: string | null;
}

/**
 * The feedback job: computes what a preview's pull request should show and posts only what
 * differs from what was posted last (the commit status per head commit, the one comment).
 */
@Injectable()
export class PreviewFeedbackService {
  private readonly logger = new Logger('preview-feedback');

  constructor(
    private readonly prisma: PrismaService,
    private readonly events: EventsService,
    private readonly redis: RedisService,
    @Inject(PR_FEEDBACK) private readonly providers: ReadonlyMap<string, PullRequestFeedback>,
  ) {}

  async run(job: FeedbackJob): Promise<'posted' | 'unchanged' | 'gone'> {
    // One job per preview at a time, so two windows' jobs never post the same thing twice.
    const lock = this.redis.channel(`preview-feedback-lock:${job.previewId}`);
    if ((await this.redis.client.set(lock, '1', 'PX', 60_000, 'NX')) !== 'OK') {
      throw new Error(`feedback for preview ${job.previewId} is being posted by another job; retried`);
    }
    try {
      return await this.post(job);
    } finally {
      await this.redis.client.del(lock);
    }
  }

  private async post(job: FeedbackJob): Promise<'posted' | 'unchanged' | 'gone'> {
    const preview = await this.prisma.preview.findUnique({
      where: { id: job.previewId },
      include: { appSet: { select: { namespace: true, name: true } } },
    });
    if (!preview) return 'gone';
    const provider = this.providers.get(preview.provider);
    if (!provider) throw new UnrecoverableError(`no feedback client for provider ${preview.provider}`);
    const applications = preview.state === 'live' ? await this.applications(preview.id) : [];
    const summary = summarisePreview({
      appSet: preview.appSet.name,
      number: preview.number,
      headSha: preview.headSha,
      state: preview.state,
      reason: preview.reason,
      applications,
    });
    const target = { settings: preview.settings as Record<string, unknown>, number: preview.number };
    let posted = false;
    const update: { statusState?: string; statusSha?: string; commentId?: string; commentHash?: string; url?: string | null } = {};
    if (summary.status && (preview.statusState !== summary.status.state || preview.statusSha !== preview.headSha)) {
      // A new head commit always starts pending, however fast its preview became ready.
      if (preview.statusSha !== preview.headSha && summary.status.state !== 'pending') {
        const { targetUrl: _url, ...status } = summary.status;
        await provider.setCommitStatus(target, preview.headSha, { ...status, state: 'pending', description: 'Deploying the preview' });
      }
      await provider.setCommitStatus(target, preview.headSha, summary.status);
      update.statusState = summary.status.state;
      update.statusSha = preview.headSha;
      posted = true;
    }
    const hash = createHash('sha256').update(summary.comment).digest('hex');
    if (preview.commentHash !== hash) {
      update.commentId = await provider.upsertComment(target, summary.comment, preview.commentId ?? undefined);
      update.commentHash = hash;
      posted = true;
    }
    if ((summary.url ?? null) !== preview.url) update.url = summary.url ?? null;
    if (Object.keys(update).length > 0) await this.prisma.preview.update({ where: { id: preview.id }, data: update });
    if (posted) {
      this.logger.log(`${preview.repository}#${preview.number}: ${summary.status?.state ?? preview.state}`);
      if (summary.status?.state === 'success' && update.statusState) {
        await this.events.record({
          actor: 'pipeline',
          type: 'PreviewReady',
          subject: `applicationset/${preview.appSet.namespace}/${preview.appSet.name}`,
          message: `pull request #${preview.number} at ${preview.headSha.slice(0, 8)}${summary.url ? `: ${summary.url}` : ''}`,
        });
      }
    }
    return posted ? 'posted' : 'unchanged';
  }

  /**
   * The preview's Applications with their last reports. A report counts only when its agent
   * applied the newest plan revision of a cluster whose plan is caught up.
   */
  private async applications(previewId: string): Promise<PreviewApplication[]> {
    const rows = await this.prisma.$queryRaw<ApplicationRow[]>`
      WITH newest AS (
        SELECT DISTINCT ON ("clusterId") "clusterId", revision, outline
          FROM "PlanRevision"
         WHERE "clusterId" IN (SELECT "clusterId" FROM "GeneratedApplication" WHERE "previewId" = ${previewId}::uuid)
         ORDER BY "clusterId", revision DESC)
      SELECT g.name, c.name AS cluster, g.application->'metadata'->'annotations' AS annotations,
             n.outline->g.name->>'ingressHost' AS "ingressHost",
             COALESCE((n.outline->g.name->'ingressTls')::boolean, false) AS "ingressTls",
             (c."plannedGeneration" >= c."desiredPlanGeneration" AND s."appliedRevision" = n.revision
               AND n.outline ? g.name) AS planned,
             s.sync, s.health, s.message
        FROM "GeneratedApplication" g
        JOIN "Cluster" c ON c.id = g."clusterId"
        LEFT JOIN newest n ON n."clusterId" = g."clusterId"
        LEFT JOIN "ApplicationStatus" s ON s."clusterId" = g."clusterId" AND s.application = g.name
       WHERE g."previewId" = ${previewId}::uuid`;
    return rows.map((row) => {
      const annotated = row.annotations?.[PREVIEW_URL_ANNOTATION];
      const url = annotated || (row.ingressHost ? `${row.ingressTls ? 'https' : 'http'}://${row.ingressHost}` : undefined);
      return {
        name: row.name,
        cluster: row.cluster,
        planned: row.planned === true,
        ...(row.sync && row.health ? { status: { sync: row.sync, health: row.health, message: row.message ?? '' } } : {}),
        ...(url ? { url } : {}),
      };
    });
  }
}
