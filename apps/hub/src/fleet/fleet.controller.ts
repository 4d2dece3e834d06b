import { BadRequestException, Controller, Get, NotFoundException, Param, ParseIntPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Plan } from '#plans';
import { Allow } from '../auth/access.decorator.js';
import { ClustersService } from '../clusters/clusters.service.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { findInPlan } from './trace.js';

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

  @Get('clusters/:name/trace')
  @Allow('viewer')
  @ApiOperation({
    summary: 'Where an object comes from: its Application, ApplicationSet, generator parameters, sources and commits, and status',
  })
  async trace(
    @Param('name') name: string,
    @Query('kind') kind?: string,
    @Query('name') objectName?: string,
    @Query('namespace') namespace?: string,
    @Query('group') group?: string,
  ): Promise<unknown[]> {
    if (!kind || !objectName) throw new BadRequestException('kind and name: both are required query parameters');
    const cluster = await this.clusters.get(name);
    const latest = await this.prisma.planRevision.findFirst({ where: { clusterId: cluster.id }, orderBy: { revision: 'desc' } });
    const plan = latest?.plan as unknown as Plan | undefined;
    const found = plan
      ? findInPlan(plan, { kind, name: objectName, ...(namespace ? { namespace } : {}), ...(group !== undefined ? { group } : {}) })
      : [];
    const where = `${kind}${namespace ? ` ${namespace}/` : ' '}${objectName}`;
    if (found.length === 0) throw new NotFoundException(`no Application on cluster ${name} manages ${where}`);
    const names = [...new Set(found.map((f) => f.application))];
    const [generated, statuses, pins] = await Promise.all([
      this.prisma.generatedApplication.findMany({
        where: { clusterId: cluster.id, name: { in: names } },
        include: { appSet: { select: { namespace: true, name: true, generation: true, renderedGeneration: true } } },
      }),
      this.prisma.applicationStatus.findMany({ where: { clusterId: cluster.id, application: { in: names } } }),
      this.prisma.pin.findMany({ where: { clusterId: cluster.id, application: { in: names } } }),
    ]);
    return found.map((object) => {
      const row = generated.find((g) => g.name === object.application);
      const status = statuses.find((s) => s.application === object.application);
      const pin = pins.find((p) => p.application === object.application);
      const planned = plan?.applications.find((a) => a.name === object.application);
      const objectStatus = ((status?.objects ?? []) as Array<Record<string, unknown>>).find(
        (o) => o.kind === object.kind && o.name === object.name && (o.namespace ?? undefined) === object.namespace,
      );
      return {
        cluster: name,
        object: {
          ...object,
          ...(objectStatus ? { sync: objectStatus.sync, health: objectStatus.health, message: objectStatus.message } : {}),
        },
        application: {
          name: object.application,
          sync: status?.sync ?? 'Unknown',
          health: status?.health ?? 'Unknown',
          message: status?.message ?? '',
          plannedRevision: latest?.revision ?? null,
          appliedRevision: status?.appliedRevision ?? null,
          pinnedRevision: pin?.revision ?? null,
        },
        applicationSet: row
          ? {
              namespace: row.appSet.namespace,
              name: row.appSet.name,
              generation: row.appSet.generation,
              renderedGeneration: row.appSet.renderedGeneration,
            }
          : { name: object.applicationSet },
        parameters: row?.params ?? null,
        sources: planned?.sources ?? [],
      };
    });
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
