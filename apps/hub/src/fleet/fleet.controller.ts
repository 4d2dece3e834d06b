import { Controller, Get, NotFoundException, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../auth/access.decorator.js';
import { ClustersService } from '../clusters/clusters.service.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';

/** Read-only views of what the pipeline produced and what agents reported. */
@ApiTags('fleet')
@ApiBearerAuth()
@Controller('api/v1')
export class FleetController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clusters: ClustersService,
    private readonly events: EventsService,
  ) {}

  @Get('clusters/:name/plans')
  @Allow('viewer')
  @ApiOperation({ summary: 'Plan revisions of a cluster, newest first' })
  async revisions(@Param('name') name: string): Promise<unknown[]> {
    const cluster = await this.clusters.get(name);
    return this.prisma.planRevision.findMany({
      where: { clusterId: cluster.id },
      orderBy: { revision: 'desc' },
      select: { revision: true, hash: true, createdAt: true },
      take: 100,
    });
  }

  @Get('clusters/:name/plans/latest')
  @Allow('viewer')
  async latest(@Param('name') name: string): Promise<unknown> {
    const cluster = await this.clusters.get(name);
    const row = await this.prisma.planRevision.findFirst({ where: { clusterId: cluster.id }, orderBy: { revision: 'desc' } });
    if (!row) throw new NotFoundException(`cluster ${name} has no plan yet`);
    return { revision: row.revision, hash: row.hash, createdAt: row.createdAt, plan: row.plan };
  }

  @Get('clusters/:name/plans/:revision')
  @Allow('viewer')
  async revision(@Param('name') name: string, @Param('revision', ParseIntPipe) revision: number): Promise<unknown> {
    const cluster = await this.clusters.get(name);
    const row = await this.prisma.planRevision.findUnique({ where: { clusterId_revision: { clusterId: cluster.id, revision } } });
    if (!row) throw new NotFoundException(`cluster ${name} has no revision ${revision}`);
    return { revision: row.revision, hash: row.hash, createdAt: row.createdAt, plan: row.plan };
  }

  @Get('applications')
  @Allow('viewer')
  @ApiOperation({ summary: 'Generated Applications across ApplicationSets, with their cluster and reported status' })
  async applications(@Query('cluster') cluster?: string, @Query('applicationSet') applicationSet?: string): Promise<unknown[]> {
    const rows = await this.prisma.generatedApplication.findMany({
      where: {
        ...(cluster ? { cluster: { name: cluster } } : {}),
        ...(applicationSet ? { appSet: { name: applicationSet } } : {}),
      },
      include: { cluster: { select: { id: true, name: true } }, appSet: { select: { namespace: true, name: true } } },
      orderBy: { name: 'asc' },
      take: 5000,
    });
    const statuses = await this.prisma.applicationStatus.findMany({
      where: { clusterId: { in: [...new Set(rows.map((r) => r.cluster?.id).filter((id): id is string => id !== undefined))] } },
    });
    const statusOf = new Map(statuses.map((s) => [`${s.clusterId}/${s.application}`, s]));
    return rows.map((row) => {
      const status = row.cluster ? statusOf.get(`${row.cluster.id}/${row.name}`) : undefined;
      return {
        name: row.name,
        applicationSet: `${row.appSet.namespace}/${row.appSet.name}`,
        cluster: row.cluster?.name ?? null,
        sync: status?.sync ?? 'Unknown',
        health: status?.health ?? 'Unknown',
        appliedRevision: status?.appliedRevision ?? null,
      };
    });
  }

  @Get('clusters/:name/applications')
  @Allow('viewer')
  @ApiOperation({ summary: 'Sync and health of each Application on a cluster, as its agent reported' })
  async statuses(@Param('name') name: string): Promise<unknown[]> {
    const cluster = await this.clusters.get(name);
    return this.prisma.applicationStatus.findMany({ where: { clusterId: cluster.id }, orderBy: { application: 'asc' } });
  }

  @Get('events')
  @Allow('viewer')
  @ApiOperation({ summary: 'The event log, newest first' })
  list(@Query('subject') subject?: string, @Query('limit') limit?: string): Promise<unknown[]> {
    const take = Math.min(Math.max(Number.parseInt(limit ?? '100', 10) || 100, 1), 1000);
    return this.events.list({ ...(subject ? { subject } : {}), limit: take });
  }
}
