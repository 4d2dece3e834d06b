import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Allow } from '../auth/access.decorator.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from '../auth/principal.js';
import { ClustersService } from '../clusters/clusters.service.js';
import { parseBody } from '../common/validation.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { TriggersService } from '../pipeline/triggers.service.js';

const pinSchema = z.strictObject({ revision: z.number().int().min(1) });

/**
 * Rollback by pinning: a cluster runs one Application as an earlier plan revision had it, until
 * unpinned. The plan job substitutes the pinned Application; nothing else on the cluster moves.
 */
@ApiTags('fleet')
@ApiBearerAuth()
@Controller('api/v1/clusters/:name')
export class RollbacksController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly clusters: ClustersService,
    private readonly triggers: TriggersService,
    private readonly events: EventsService,
  ) {}

  @Put('applications/:application/pin')
  @Allow('editor')
  @ApiOperation({ summary: 'Roll an Application back: run it as plan revision N had it, until unpinned' })
  @ApiBody({ schema: z.toJSONSchema(pinSchema) as object })
  async pin(
    @Param('name') name: string,
    @Param('application') application: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<{ cluster: string; application: string; revision: number }> {
    const { revision } = parseBody(pinSchema, body);
    const cluster = await this.clusters.get(name);
    const found = await this.prisma.$queryRaw<Array<{ holds: boolean }>>`
      SELECT outline ? ${application}::text AS holds
        FROM "PlanRevision" WHERE "clusterId" = ${cluster.id}::uuid AND revision = ${revision}`;
    if (found.length === 0) throw new NotFoundException(`revision: cluster ${name} has no plan revision ${revision}`);
    if (!found[0]?.holds)
      throw new NotFoundException(`revision: plan revision ${revision} of cluster ${name} has no Application ${application}`);
    const actor = actorOf(principal);
    await this.prisma.pin.upsert({
      where: { clusterId_application: { clusterId: cluster.id, application } },
      create: { clusterId: cluster.id, application, revision, actor },
      update: { revision, actor },
    });
    await this.triggers.planClusters([cluster.id]);
    await this.events.record({
      actor,
      type: 'ApplicationPinned',
      subject: `cluster/${name}`,
      message: `${application} pinned to plan revision ${revision}`,
    });
    return { cluster: name, application, revision };
  }

  @Delete('applications/:application/pin')
  @Allow('editor')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unpin: the Application follows its ApplicationSet again' })
  async unpin(
    @Param('name') name: string,
    @Param('application') application: string,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<void> {
    const cluster = await this.clusters.get(name);
    const { count } = await this.prisma.pin.deleteMany({ where: { clusterId: cluster.id, application } });
    if (count === 0) throw new NotFoundException(`${application} is not pinned on cluster ${name}`);
    await this.triggers.planClusters([cluster.id]);
    await this.events.record({
      actor: actorOf(principal),
      type: 'ApplicationUnpinned',
      subject: `cluster/${name}`,
      message: `${application} follows its ApplicationSet again`,
    });
  }

  @Get('pins')
  @Allow('viewer')
  @ApiOperation({ summary: 'Pinned Applications of a cluster' })
  async pins(@Param('name') name: string): Promise<unknown[]> {
    const cluster = await this.clusters.get(name);
    const pins = await this.prisma.pin.findMany({ where: { clusterId: cluster.id }, orderBy: { application: 'asc' } });
    return pins.map(({ clusterId: _, ...pin }) => pin);
  }
}
