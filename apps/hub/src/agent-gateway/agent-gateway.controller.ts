import { Body, Controller, Get, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type RegisterResponse, registerRequestSchema } from '#contracts';
import { Allow } from '../auth/access.decorator.js';
import { CurrentAgent } from '../auth/principal.decorator.js';
import type { AgentPrincipal } from '../auth/principal.js';
import { parseBody } from '../common/validation.js';
import { answerHeartbeat, answerPlanPoll, answerStatusReport } from './agent-fast-path.js';
import { AgentGatewayService } from './agent-gateway.service.js';

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

  /**
   * Served by `agentFastPathMiddleware` (agent-fast-path.ts) before Nest's router, so held polls
   * cost less; this route documents it in the OpenAPI and answers if the middleware is not mounted.
   */
  @Get('plan')
  @Allow('agent')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Long-poll for this cluster's newest plan revision after `after`; 204 when none came in time" })
  @ApiQuery({ name: 'after', required: false, type: Number, description: 'the revision the agent has (default 0)' })
  @ApiQuery({ name: 'waitSeconds', required: false, type: Number, description: 'how long to wait for a newer one, 0–300 (default 30)' })
  @ApiOkResponse({ description: 'PlanRevisionResponse: {revision, hash, plan}' })
  plan(@CurrentAgent() agent: AgentPrincipal, @Query() query: unknown, @Res() response: Response): Promise<void> {
    return answerPlanPoll(this.gateway, agent.clusterId, query, response);
  }

  /** Served by `agentFastPathMiddleware` too (agent-fast-path.ts): reports come from every agent at once. */
  @Post('status')
  @Allow('agent')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Report this cluster's Applications as applied from a plan revision" })
  @ApiNoContentResponse({ description: 'stored' })
  status(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown, @Res() response: Response): Promise<void> {
    return answerStatusReport(this.gateway, agent.clusterId, body, response);
  }

  /** Served by `agentFastPathMiddleware` too (agent-fast-path.ts): every agent sends one every 30 s. */
  @Post('heartbeat')
  @Allow('agent')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Tell the hub this cluster's agent is alive, with its Kubernetes version and APIs" })
  @ApiNoContentResponse({ description: 'stored' })
  heartbeat(@CurrentAgent() agent: AgentPrincipal, @Body() body: unknown, @Res() response: Response): Promise<void> {
    return answerHeartbeat(this.gateway, agent.clusterId, body, response);
  }
}
