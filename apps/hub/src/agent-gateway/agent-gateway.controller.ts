import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { z } from 'zod';
import { heartbeatSchema, type RegisterResponse, registerRequestSchema, statusReportSchema } from '#contracts';
import { Allow } from '../auth/access.decorator.js';
import { CurrentAgent } from '../auth/principal.decorator.js';
import type { AgentPrincipal } from '../auth/principal.js';
import { parseBody } from '../common/validation.js';
import { AgentGatewayService } from './agent-gateway.service.js';

const pollQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  waitSeconds: z.coerce.number().int().min(0).max(300).default(30),
});

/** The agent gateway: an agent's credential opens its own cluster and nothing else. */
@ApiTags('agent')
@Controller('agent/v1')
export class AgentGatewayController {
  constructor(private readonly gateway: AgentGatewayService) {}

  @Post('register')
  @Allow('public')
  @ApiOperation({ summary: 'Exchange a one-time bootstrap token for the cluster credential' })
  register(@Body() body: unknown): Promise<RegisterResponse> {
    return this.gateway.register(parseBody(registerRequestSchema, body).bootstrapToken);
  }

  @Post('credential')
  @Allow('agent')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Rotate this agent credential' })
  rotate(@CurrentAgent() agent: AgentPrincipal): Promise<{ credential: string }> {
    return this.gateway.rotateCredential(agent.clusterId);
  }

  @Get('plan')
  @Allow('agent')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Long-poll for this cluster's newest plan revision after `after`; 204 when none came in time" })
  @ApiOkResponse({ description: 'PlanRevisionResponse: {revision, hash, plan}' })
  async plan(@CurrentAgent() agent: AgentPrincipal, @Query() query: unknown, @Res() response: Response): Promise<void> {
    const { after, waitSeconds } = parseBody(pollQuery, query);
    // The agent hanging up ends the wait (the response closes before it finished).
    const closed = new AbortController();
    response.on('close', () => closed.abort());
    const next = await this.gateway.nextPlan(agent.clusterId, after, waitSeconds, closed.signal);
    if (closed.signal.aborted) return;
    // A hub on its way down lets go of the agent's connection; the agent polls the next replica.
    if (this.gateway.draining) response.setHeader('connection', 'close');
    // The body comes serialised from Postgres: sent as is, not parsed and stringified again.
    if (next) response.status(200).type('application/json').send(next.body);
    else response.status(204).end();
  }

  @Post('status')
  @Allow('agent')
  @ApiBearerAuth()
  @HttpCode(204)
  async status(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown): Promise<void> {
    await this.gateway.report(agent.clusterId, parseBody(statusReportSchema, body));
  }

  @Post('heartbeat')
  @Allow('agent')
  @ApiBearerAuth()
  @HttpCode(204)
  async heartbeat(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown): Promise<void> {
    await this.gateway.heartbeat(agent.clusterId, parseBody(heartbeatSchema, body));
  }
}
