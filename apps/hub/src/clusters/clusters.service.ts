import { Injectable, NotFoundException } from '@nestjs/common';
import { hashToken, newToken, TOKEN_PREFIX } from '../auth/secrets.js';
import { TokenService } from '../auth/token.service.js';
import { addHours } from '../common/time.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import type { Cluster } from '../generated/prisma/client.js';
import { TriggersService } from '../pipeline/triggers.service.js';

export interface ClusterInput {
  name: string;
  server: string;
  project?: string | undefined;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Cluster registry: changes go to Postgres first, then trigger only the renders they affect. */
@Injectable()
export class ClustersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
    private readonly tokens: TokenService,
  ) {}

  async register(input: ClusterInput, actor: string): Promise<Cluster> {
    const cluster = await this.prisma.cluster.create({
      data: {
        name: input.name,
        server: input.server,
        project: input.project ?? null,
        labels: input.labels,
        annotations: input.annotations,
      },
    });
    await this.events.record({
      actor,
      type: 'ClusterRegistered',
      subject: `cluster/${cluster.name}`,
      message: `registered ${cluster.server}`,
    });
    await this.triggers.clustersChanged();
    await this.triggers.planClusters([cluster.id]);
    return cluster;
  }

  async update(
    name: string,
    patch: { labels?: Record<string, string>; annotations?: Record<string, string>; project?: string | null },
    actor: string,
  ): Promise<Cluster> {
    const cluster = await this.get(name);
    const updated = await this.prisma.cluster.update({
      where: { id: cluster.id },
      data: {
        ...(patch.labels ? { labels: patch.labels } : {}),
        ...(patch.annotations ? { annotations: patch.annotations } : {}),
        ...(patch.project !== undefined ? { project: patch.project } : {}),
      },
    });
    await this.events.record({
      actor,
      type: 'ClusterUpdated',
      subject: `cluster/${name}`,
      message: 'labels, annotations or project changed',
      data: patch,
    });
    await this.triggers.clustersChanged();
    return updated;
  }

  async remove(name: string, actor: string): Promise<void> {
    const cluster = await this.get(name);
    await this.prisma.cluster.delete({ where: { id: cluster.id } });
    if (cluster.agentCredentialHash) await this.tokens.retireAgentCredential(cluster.agentCredentialHash);
    await this.events.record({ actor, type: 'ClusterDeleted', subject: `cluster/${name}`, message: 'cluster removed' });
    await this.triggers.clustersChanged();
  }

  async get(name: string): Promise<Cluster> {
    const cluster = await this.prisma.cluster.findUnique({ where: { name } });
    if (!cluster) throw new NotFoundException(`cluster ${name} not found`);
    return cluster;
  }

  list(): Promise<Cluster[]> {
    return this.prisma.cluster.findMany({ orderBy: { name: 'asc' } });
  }

  /** A one-time token an agent exchanges for its cluster credential. */
  async issueBootstrapToken(name: string, ttlHours: number, actor: string): Promise<{ token: string; expiresAt: Date }> {
    const cluster = await this.get(name);
    const token = newToken(TOKEN_PREFIX.bootstrap);
    const expiresAt = addHours(new Date(), ttlHours);
    await this.prisma.bootstrapToken.create({ data: { clusterId: cluster.id, tokenHash: hashToken(token), expiresAt } });
    await this.events.record({
      actor,
      type: 'BootstrapTokenIssued',
      subject: `cluster/${name}`,
      message: `expires ${expiresAt.toISOString()}`,
    });
    return { token, expiresAt };
  }
}
