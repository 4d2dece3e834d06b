import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { TokenService } from '../auth/token.service.js';
import { problemOf } from '../common/error.filter.js';
import { parseBody } from '../common/validation.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AgentGatewayService } from './agent-gateway.service.js';

export const PLAN_ROUTE = '/agent/v1/plan';

const pollQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  waitSeconds: z.coerce.number().int().min(0).max(300).default(30),
});

/**
 * Answers one agent's long-poll for its cluster's next plan revision, on a request already
 * authenticated as that cluster's agent. Shared by the fast path below and the documented
 * controller route.
 */
export async function answerPlanPoll(gateway: AgentGatewayService, clusterId: string, query: unknown, response: Response): Promise<void> {
  const { after, waitSeconds } = parseBody(pollQuery, query);
  // The agent hanging up ends the wait (the response closes before it finished).
  const connection = {
    closed: false,
    // on/off, not once: once wraps every listener in a bound function, per held poll.
    onClose(listener: () => void): () => void {
      response.on('close', listener);
      return () => response.off('close', listener);
    },
  };
  const markClosed = () => {
    connection.closed = true;
  };
  response.on('close', markClosed);
  const next = await gateway.nextPlan(clusterId, after, waitSeconds, connection);
  response.off('close', markClosed);
  if (connection.closed) return;
  // A hub on its way down lets go of the agent's connection; the agent polls the next replica.
  if (gateway.draining) response.setHeader('connection', 'close');
  // The body comes serialised from Postgres: sent as is, not parsed and stringified again.
  if (next) response.status(200).type('application/json').send(next.body);
  else response.status(204).end();
}

/**
 * `GET /agent/v1/plan` served before Nest's router. Every agent holds one of these for up to
 * minutes; through Nest, each held poll also kept its guard, interceptor and rxjs pipeline
 * alive (about half of a held poll's memory, see docs/benchmarks.md). Same rules as the
 * controller route: an agent credential (401 otherwise), its own cluster only, the request
 * timed in `flotilla_http_request_duration_seconds`, errors as problem bodies.
 */
export function planLongPollMiddleware(app: INestApplication): (request: Request, response: Response, next: NextFunction) => void {
  const tokens = app.get(TokenService);
  const gateway = app.get(AgentGatewayService);
  const metrics = app.get(MetricsService);
  return (request, response, next) => {
    if (request.method !== 'GET' || request.path !== PLAN_ROUTE) return next();
    const stop = metrics.httpDuration.startTimer();
    response.on('finish', () => stop({ method: 'GET', route: PLAN_ROUTE, code: String(response.statusCode) }));
    void serve(request, response).catch((error: unknown) => {
      const body = problemOf(error, (request as { id?: string }).id);
      if (!response.headersSent) response.status(body.status).json(body);
    });
  };

  async function serve(request: Request, response: Response): Promise<void> {
    const header = request.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const agent = credential ? await tokens.verifyAgentCredential(credential) : undefined;
    if (!agent) {
      const message = credential ? 'invalid agent credential' : 'missing bearer token';
      response.status(401).json({ status: 401, error: 'UnauthorizedException', message });
      return;
    }
    await answerPlanPoll(gateway, agent.clusterId, request.query, response);
  }
}
