import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { type INestApplication, UnauthorizedException } from '@nestjs/common';
import express from 'express';
import { z } from 'zod';
import { heartbeatSchema, statusReportSchema } from '#contracts';
import { TokenService } from '../auth/token.service.js';
import { problemOf } from '../common/error.filter.js';
import { parseBody } from '../common/validation.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AgentGatewayService } from './agent-gateway.service.js';
import type { PlanPoll } from './plan-poll.js';
import type { SerialisedRevision } from './revision-loader.js';

export const PLAN_ROUTE = '/agent/v1/plan';
export const STATUS_ROUTE = '/agent/v1/status';
export const HEARTBEAT_ROUTE = '/agent/v1/heartbeat';
const PLAN_POLL = `GET ${PLAN_ROUTE}`;
/** The same limit as the API's own JSON parser (hub.ts). */
const BODY_LIMIT = '20mb';

const pollQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  waitSeconds: z.coerce.number().int().min(0).max(300).default(30),
});

/**
 * Answers one agent's long-poll for its cluster's next plan revision, on a request already
 * authenticated as that cluster's agent: the documented controller route's way. The fast
 * path below holds the same `PlanPoll` without a promise per poll.
 */
export function answerPlanPoll(gateway: AgentGatewayService, clusterId: string, query: unknown, response: ServerResponse): Promise<void> {
  const { after, waitSeconds } = parseBody(pollQuery, query);
  return new Promise((resolve, reject) =>
    gateway.holdPlanPoll(clusterId, after, waitSeconds, response, (_poll, revision, error) => {
      if (error) return reject(error);
      writePlan(response, revision, gateway.draining);
      resolve();
    }),
  );
}

/** A poll's answer: the revision (200) or none (204). */
function writePlan(response: ServerResponse, revision: SerialisedRevision | undefined, draining: boolean): void {
  // A hub on its way down lets go of the agent's connection; the agent polls the next replica.
  if (draining) response.setHeader('connection', 'close');
  // The body comes serialised from Postgres: sent as is, not parsed and stringified again, and
  // with plain node:http calls: express's send() would also hash it for an ETag no agent uses.
  if (revision) {
    response.statusCode = 200;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('content-length', Buffer.byteLength(revision.body));
    response.end(revision.body);
  } else {
    response.statusCode = 204;
    response.end();
  }
}

/** Stores one status report of an authenticated agent: 204, or a problem body. */
export async function answerStatusReport(
  gateway: AgentGatewayService,
  clusterId: string,
  body: unknown,
  response: ServerResponse,
): Promise<void> {
  await gateway.report(clusterId, parseBody(statusReportSchema, body));
  response.statusCode = 204;
  response.end();
}

/** Stores one heartbeat of an authenticated agent: 204, or a problem body. */
export async function answerHeartbeat(
  gateway: AgentGatewayService,
  clusterId: string,
  body: unknown,
  response: ServerResponse,
): Promise<void> {
  await gateway.heartbeat(clusterId, parseBody(heartbeatSchema, body));
  response.statusCode = 204;
  response.end();
}

type Handler = (
  gateway: AgentGatewayService,
  clusterId: string,
  request: IncomingMessage & { body?: unknown },
  response: ServerResponse,
) => Promise<void>;

/** The request id of hub.ts's middleware: the caller's X-Request-Id when it is sane, else a new one. */
export function requestIdOf(headers: IncomingHttpHeaders): string {
  const given = headers['x-request-id'];
  return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.statusCode = status;
  response.setHeader('content-type', 'application/json; charset=utf-8');
  response.setHeader('content-length', Buffer.byteLength(text));
  response.end(text);
}

/**
 * The agent routes every agent calls all the time, served on the HTTP server itself, ahead of
 * express and Nest: `GET /agent/v1/plan` (each agent holds one for up to minutes: through
 * Nest a held poll also kept its guard, interceptor and rxjs pipeline alive, and through
 * express its router frames and bound `next` functions; together most of its memory) and
 * `POST /agent/v1/status` and `POST /agent/v1/heartbeat` (Nest's per-request pipeline cost
 * about 0.9 ms of the API's CPU per request, the bottleneck when thousands of agents report at
 * once, and every agent heartbeats every 30 s). See docs/benchmarks.md.
 * Same rules as the controller routes, which document them in the OpenAPI: an agent
 * credential (401 otherwise), its own cluster only, an X-Request-Id on every answer, requests
 * timed in `flotilla_http_request_duration_seconds`, errors as problem bodies. Every other
 * request goes on to express.
 */
export function serveAgentFastPath(app: INestApplication): void {
  const tokens = app.get(TokenService);
  const gateway = app.get(AgentGatewayService);
  const metrics = app.get(MetricsService);
  const parseJson = express.json({ limit: BODY_LIMIT });
  const routes = new Map<string, { route: string; handler: Handler; json: boolean }>([
    [`POST ${STATUS_ROUTE}`, { route: STATUS_ROUTE, json: true, handler: (g, id, req, res) => answerStatusReport(g, id, req.body, res) }],
    [
      `POST ${HEARTBEAT_ROUTE}`,
      { route: HEARTBEAT_ROUTE, json: true, handler: (g, id, req, res) => answerHeartbeat(g, id, req.body, res) },
    ],
  ]);
  const server = app.getHttpServer() as Server;
  const rest = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage & { body?: unknown }, response: ServerResponse) => {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const key = `${request.method} ${query < 0 ? url : url.slice(0, query)}`;
    if (key === PLAN_POLL) {
      const startedAt = performance.now();
      startPoll(request, response).catch((error: unknown) => endPoll(response, startedAt, undefined, error));
      return;
    }
    const served = routes.get(key);
    if (!served) {
      for (const listener of rest) listener(request, response);
      return;
    }
    const requestId = requestIdOf(request.headers);
    response.setHeader('x-request-id', requestId);
    const stop = metrics.httpDuration.startTimer();
    response.on('finish', () => stop({ method: request.method, route: served.route, code: String(response.statusCode) }));
    const fail = (error: unknown) => {
      const body = bodyParserProblem(error) ?? problemOf(error, requestId);
      if (!response.headersSent) sendJson(response, body.status, body);
    };
    const serve = () => void handle(served.handler, request, response).catch(fail);
    if (served.json) parseJson(request, response, (error?: unknown) => (error ? fail(error) : serve()));
    else serve();
  });

  async function handle(handler: Handler, request: IncomingMessage, response: ServerResponse): Promise<void> {
    await handler(gateway, await clusterOf(request), request, response);
  }

  /** The cluster of the request's agent credential; an UnauthorizedException (401) without one. */
  async function clusterOf(request: IncomingMessage): Promise<string> {
    const header = request.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const agent = credential ? await tokens.verifyAgentCredential(credential) : undefined;
    if (!agent) throw new UnauthorizedException(credential ? 'invalid agent credential' : 'missing bearer token');
    return agent.clusterId;
  }

  // A held poll keeps only its PlanPoll (plan-poll.ts): no request id, header, metric timer or
  // listener is made for it until it is answered, and this async function has returned by then.
  async function startPoll(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const clusterId = await clusterOf(request);
    const { after, waitSeconds } = parseBody(pollQuery, queryOf(request.url));
    gateway.holdPlanPoll(clusterId, after, waitSeconds, response, answerHeldPoll);
  }

  function answerHeldPoll(poll: PlanPoll, revision: SerialisedRevision | undefined, error?: unknown): void {
    endPoll(poll.response, poll.startedAt, revision, error);
  }

  function endPoll(response: ServerResponse, startedAt: number, revision: SerialisedRevision | undefined, error?: unknown): void {
    if (response.headersSent || response.destroyed) return;
    const requestId = requestIdOf(response.req.headers);
    response.setHeader('x-request-id', requestId);
    if (error === undefined) writePlan(response, revision, gateway.draining);
    else {
      const body = problemOf(error, requestId);
      sendJson(response, body.status, body);
    }
    const code = String(response.statusCode);
    metrics.httpDuration.observe({ method: 'GET', route: PLAN_ROUTE, code }, (performance.now() - startedAt) / 1000);
  }
}

/** The query string as an object of its first values (what the poll's schema reads). */
function queryOf(url: string | undefined): Record<string, string> {
  const at = url?.indexOf('?') ?? -1;
  return at < 0 || !url ? {} : Object.fromEntries(new URLSearchParams(url.slice(at + 1)));
}

/** body-parser's own errors (invalid JSON 400, too large 413, …) as problem bodies; undefined for others. */
function bodyParserProblem(error: unknown): { status: number; error: string; message: string } | undefined {
  const { status, type, expose, message } = (error ?? {}) as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499 || typeof type !== 'string') return undefined;
  return { status, error: type, message: typeof message === 'string' ? message : 'bad request body' };
}
