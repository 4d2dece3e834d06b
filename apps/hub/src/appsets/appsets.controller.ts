import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Allow } from '../auth/access.decorator.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from '../auth/principal.js';
import { AppSetsService, appSetView } from './appsets.service.js';

@ApiTags('applicationsets')
@ApiBearerAuth()
@Controller('api/v1/applicationsets')
export class AppSetsController {
  constructor(private readonly appSets: AppSetsService) {}

  @Put()
  @Allow('editor')
  @ApiOperation({ summary: 'Create or replace an ApplicationSet (Argo CD argoproj.io/v1alpha1 or flotilla.dev/v1alpha1), as YAML or JSON' })
  @ApiConsumes('application/yaml', 'application/json')
  @ApiBody({ schema: { type: 'object', description: 'an ApplicationSet document' } })
  async apply(
    @Body() body: unknown,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<Record<string, unknown>> {
    const source = typeof body === 'string' ? body : JSON.stringify(body ?? null);
    const { appSet, created } = await this.appSets.apply(source, actorOf(principal));
    response.status(created ? 201 : 200);
    if (created) response.location(`${request.baseUrl}/api/v1/applicationsets/${appSet.namespace}/${appSet.name}`);
    return appSetView(appSet);
  }

  @Get()
  @Allow('viewer')
  async list(): Promise<Record<string, unknown>[]> {
    return (await this.appSets.list()).map(appSetView);
  }

  @Get(':namespace/:name')
  @Allow('viewer')
  @ApiOperation({ summary: 'An ApplicationSet with its status conditions' })
  async get(@Param('namespace') namespace: string, @Param('name') name: string): Promise<Record<string, unknown>> {
    return appSetView(await this.appSets.get(namespace, name));
  }

  @Get(':namespace/:name/applications')
  @Allow('viewer')
  @ApiOperation({ summary: 'The Applications of its last successful render, with their clusters' })
  applications(@Param('namespace') namespace: string, @Param('name') name: string): Promise<unknown[]> {
    return this.appSets.applications(namespace, name);
  }

  @Get(':namespace/:name/previews')
  @Allow('viewer')
  @ApiOperation({ summary: 'Its pull request previews: state (live, expired, evicted, closed), why, and what was reported' })
  previews(@Param('namespace') namespace: string, @Param('name') name: string): Promise<unknown[]> {
    return this.appSets.previews(namespace, name);
  }

  @Post(':namespace/:name/sync')
  @Allow('editor')
  @HttpCode(202)
  @ApiOperation({ summary: 'Render now: fetch its git repositories again and re-plan every cluster it reaches' })
  async sync(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<Record<string, unknown>> {
    return appSetView(await this.appSets.sync(namespace, name, actorOf(principal)));
  }

  @Delete(':namespace/:name')
  @Allow('editor')
  @HttpCode(204)
  async remove(
    @Param('namespace') namespace: string,
    @Param('name') name: string,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<void> {
    await this.appSets.remove(namespace, name, actorOf(principal));
  }
}
