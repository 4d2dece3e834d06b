import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { clusterInfoSchema } from '#contracts';
import { Allow } from '../auth/access.decorator.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from '../auth/principal.js';
import { parseBody } from '../common/validation.js';
import { clusterView } from './cluster.view.js';
import { ClustersService } from './clusters.service.js';

const registerSchema = clusterInfoSchema.omit({ kubeVersion: true, apiVersions: true }).extend({
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a DNS name: lower case letters, digits, "-" and "."')
    .max(253),
});
const patchSchema = z.strictObject({
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  project: z.string().nullable().optional(),
});
const bootstrapSchema = z.strictObject({ ttlHours: z.number().min(0.01).max(168).default(1) });

@ApiTags('clusters')
@ApiBearerAuth()
@Controller('api/v1/clusters')
export class ClustersController {
  constructor(private readonly clusters: ClustersService) {}

  @Post()
  @Allow('editor')
  @ApiOperation({ summary: 'Register a cluster' })
  @ApiBody({ schema: z.toJSONSchema(registerSchema, { io: 'input' }) as object })
  async register(@Body() body: unknown, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<Record<string, unknown>> {
    return clusterView(await this.clusters.register(parseBody(registerSchema, body), actorOf(principal)));
  }

  @Get()
  @Allow('viewer')
  @ApiOperation({ summary: 'List clusters' })
  async list(): Promise<Record<string, unknown>[]> {
    return (await this.clusters.list()).map(clusterView);
  }

  @Get(':name')
  @Allow('viewer')
  async get(@Param('name') name: string): Promise<Record<string, unknown>> {
    return clusterView(await this.clusters.get(name));
  }

  @Patch(':name')
  @Allow('editor')
  @ApiOperation({ summary: 'Replace labels, annotations or project' })
  @ApiBody({ schema: z.toJSONSchema(patchSchema) as object })
  async update(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<Record<string, unknown>> {
    return clusterView(await this.clusters.update(name, parseBody(patchSchema, body), actorOf(principal)));
  }

  @Delete(':name')
  @Allow('editor')
  @HttpCode(204)
  async remove(@Param('name') name: string, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<void> {
    await this.clusters.remove(name, actorOf(principal));
  }

  @Post(':name/bootstrap-tokens')
  @Allow('admin')
  @ApiOperation({ summary: 'Issue a one-time agent bootstrap token (shown once)' })
  @ApiBody({ schema: z.toJSONSchema(bootstrapSchema, { io: 'input' }) as object, required: false })
  async bootstrap(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<{ token: string; expiresAt: Date }> {
    const { ttlHours } = parseBody(bootstrapSchema, body);
    return this.clusters.issueBootstrapToken(name, ttlHours, actorOf(principal));
  }
}
