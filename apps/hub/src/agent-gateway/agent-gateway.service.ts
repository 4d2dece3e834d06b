import type { ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleDestroy, UnauthorizedException } from '@nestjs/common';
import type { Heartbeat, RegisterResponse, StatusReport } from '#contracts';
import { hashToken, newToken, TOKEN_PREFIX } from '../auth/secrets.js';
import { TokenService } from '../auth/token.service.js';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { PlanNotifier } from '../pipeline/plan-notifier.service.js';
import { TriggersService } from '../pipeline/triggers.service.js';
import { PreviewFeedbackQueue } from '../previews/feedback-queue.service.js';
import { PlanPoll, type PollAnswer, type PollSources } from './plan-poll.js';
import { RevisionLoader } from './revision-loader.js';
import { StatusWriter } from './status-writer.js';

/** What agents may do: register once, fetch their own cluster's plans, report, beat. */
@Injectable()
export class AgentGatewayService implements OnModuleDestroy, PollSources {
  readonly revisions: RevisionLoader;
  private readonly statuses: StatusWriter;
  /** Shutting down: polls answer at once and connections close, so the server can stop. */
  draining = false;

  constructor(
    private readonly prisma: PrismaService,
    readonly notifier: PlanNotifier,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
    private readonly tokens: TokenService,
    private readonly feedback: PreviewFeedbackQueue,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {
    this.revisions = new RevisionLoader(prisma);
    this.statuses = new StatusWriter(prisma);
  }

  onModuleDestroy(): void {
    this.draining = true;
  }

  /** Exchanges a one-time bootstrap token for the cluster's credential (replacing any previous one). */
  async register(bootstrapToken: string): Promise<RegisterResponse> {
    const credential = newToken(TOKEN_PREFIX.agent);
    const cluster = await this.prisma.$transaction(async (tx) => {
      const now = new Date();
      const claimed = await tx.bootstrapToken.updateMany({
        where: { tokenHash: hashToken(bootstrapToken), usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (claimed.count !== 1) return undefined;
      const token = await tx.bootstrapToken.findUniqueOrThrow({
        where: { tokenHash: hashToken(bootstrapToken) },
        include: { cluster: true },
      });
      await tx.cluster.update({
        where: { id: token.clusterId },
        data: { agentCredentialHash: hashToken(credential), credentialIssuedAt: now },
      });
      return token.cluster;
    });
    if (!cluster) throw new UnauthorizedException('bootstrap token is invalid, used or expired');
    // The credential of a previous registration stops working now, on every replica.
    if (cluster.agentCredentialHash) await this.tokens.retireAgentCredential(cluster.agentCredentialHash);
    await this.events.record({
      actor: `agent:${cluster.name}`,
      type: 'AgentRegistered',
      subject: `cluster/${cluster.name}`,
      message: 'agent registered',
    });
    return { cluster: cluster.name, credential };
  }

  async rotateCredential(clusterId: string): Promise<{ credential: string }> {
    const credential = newToken(TOKEN_PREFIX.agent);
    const before = await this.prisma.cluster.findUniqueOrThrow({ where: { id: clusterId }, select: { agentCredentialHash: true } });
    await this.prisma.cluster.update({
      where: { id: clusterId },
      data: { agentCredentialHash: hashToken(credential), credentialIssuedAt: new Date() },
    });
    if (before.agentCredentialHash) await this.tokens.retireAgentCredential(before.agentCredentialHash);
    return { credential };
  }

  /**
   * Holds the agent's poll until its cluster has a revision newer than `after` or
   * `waitSeconds` passed (capped by FLOTILLA_LONG_POLL_SECONDS), then calls `answer` once
   * (not at all if the agent hung up first).
   */
  holdPlanPoll(clusterId: string, after: number, waitSeconds: number, response: ServerResponse, answer: PollAnswer): void {
    const deadline = Date.now() + Math.min(waitSeconds, this.config.FLOTILLA_LONG_POLL_SECONDS) * 1000;
    new PlanPoll(this, clusterId, after, deadline, response, answer).start();
  }

  /**
   * Stores a status report (batched with the others of the same moment, see StatusWriter),
   * then tells the previews whose Applications changed and records transitions as events.
   */
  async report(clusterId: string, report: StatusReport): Promise<void> {
    // A name reported twice: the last one wins (one row per Application).
    const applications = [...new Map(report.applications.map((app) => [app.name, app])).values()];
    const row = await this.statuses.write(clusterId, report.revision, applications);
    if (!row.cluster) throw new UnauthorizedException('this cluster no longer exists');
    const before = row.previous;
    // Previews whose Applications changed sync, health or revision tell their pull requests.
    const previous = new Map(before.map((row) => [row.application, row]));
    const changed = applications.filter((app) => {
      const old = previous.get(app.name);
      return !old || old.sync !== app.sync || old.health !== app.health || old.appliedRevision !== report.revision;
    });
    const previews = row.previews;
    await this.feedback.enqueue([...new Set(changed.map((app) => previews[app.name]).filter((id): id is string => id !== undefined))]);
    await this.recordTransitions(row.cluster, { ...report, applications }, previous);
  }

  /** Events (and so notifications) when an Application turns Degraded or fails to apply. */
  private async recordTransitions(
    cluster: string,
    report: StatusReport,
    previous: Map<string, { sync: string; health: string; appliedRevision: number | null }>,
  ): Promise<void> {
    for (const app of report.applications) {
      const old = previous.get(app.name);
      const subject = `application/${cluster}/${app.name}`;
      const data = { cluster, application: app.name, revision: report.revision };
      if (app.health === 'Degraded' && old?.health !== 'Degraded') {
        await this.events.record({ actor: `agent:${cluster}`, type: 'HealthDegraded', subject, message: app.message, data });
      }
      // Apply errors, not drift: drifted objects carry the fields that differ.
      const failed = app.objects.filter((o) => o.sync !== 'Synced' && o.message && !o.diff?.length);
      const wasFailing = old !== undefined && old.sync !== 'Synced' && old.appliedRevision === report.revision;
      if (failed.length > 0 && !wasFailing) {
        const message = failed
          .slice(0, 5)
          .map((o) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${o.message}`)
          .join('; ');
        await this.events.record({ actor: `agent:${cluster}`, type: 'SyncFailed', subject, message, data });
      }
    }
  }

  /**
   * Marks the cluster connected and stores its Kubernetes version and APIs: one prepared
   * statement, because every agent sends one every 30 s (333 a second at 10,000 clusters).
   */
  async heartbeat(clusterId: string, beat: Heartbeat): Promise<void> {
    const [row] = await this.prisma.hotQuery<{ changed: boolean }>(
      'agent-heartbeat',
      `WITH before AS (SELECT id, "kubeVersion", "apiVersions" FROM "Cluster" WHERE id = $1 FOR NO KEY UPDATE)
       UPDATE "Cluster" c
          SET "lastHeartbeatAt" = now() AT TIME ZONE 'UTC', state = 'connected',
              "kubeVersion" = COALESCE($2, c."kubeVersion"), "apiVersions" = COALESCE($3::jsonb, c."apiVersions")
         FROM before WHERE c.id = before.id
       RETURNING (c."kubeVersion" IS DISTINCT FROM before."kubeVersion"
               OR c."apiVersions" IS DISTINCT FROM before."apiVersions") AS changed`,
      [clusterId, beat.kubeVersion ?? null, beat.apiVersions ? JSON.stringify(beat.apiVersions) : null],
    );
    if (!row) throw new UnauthorizedException('this cluster no longer exists');
    // Helm renders for the cluster's version and APIs: when they change, so may the plan.
    if (row.changed) await this.triggers.planClusters([clusterId]);
  }
}
