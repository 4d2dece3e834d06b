import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import express from 'express';
import { z } from 'zod';
import { heartbeatSchema, statusReportSchema } from '#contracts';
import { TokenService } from '../auth/token.service.js';
import { problemOf } from '../common/error.filter.js';
import { parseBody } from '../common/validation.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { AgentGatewayService } from './agent-gateway.service.js';

export const PLAN_ROUTE = '/agent/v1/plan';
export const STATUS_ROUTE = '/agent/v1/status';
export const HEARTBEAT_ROUTE = '/agent/v1/heartbeat';
/** The same limit as the API's own JSON parser (hub.ts). */
const BODY_LIMIT = '20mb';

const pollQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  waitSeconds: z.coerce.number().int().min(0).max(300).default(30),
});

/**
 * Answers one agent's long-poll for its cluster's next plan revision, on a request already
 * authenticated as that cluster's agent. Shared by the fast path below and the documented
 * controller route.
 */
export async function answerPlanPoll(
  gateway: AgentGatewayService,
  clusterId: string,
  query: unknown,
  response: ServerResponse,
): Promise<void> {
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
  // The body comes serialised from Postgres: sent as is, not parsed and stringified again, and
  // with plain node:http calls: express's send() would also hash it for an ETag no agent uses.
  if (next) {
    response.statusCode = 200;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('content-length', Buffer.byteLength(next.body));
    response.end(next.body);
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
    [`GET ${PLAN_ROUTE}`, { route: PLAN_ROUTE, json: false, handler: (g, id, req, res) => answerPlanPoll(g, id, queryOf(req.url), res) }],
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
    const served = routes.get(`${request.method} ${query < 0 ? url : url.slice(0, query)}`);
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
    const header = request.headers.authorization;
    const credential = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : '';
    const agent = credential ? await tokens.verifyAgentCredential(credential) : undefined;
    if (!agent) {
      const message = credential ? 'invalid agent credential' : 'missing bearer token';
      sendJson(response, 401, { status: 401, error: 'UnauthorizedException', message });
      return;
    }
    await handler(gateway, agent.clusterId, request, response);
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
