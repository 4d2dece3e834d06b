import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { AggregateSpecError, FlotillaError, RenderError, SourceError, SpecError } from '#contracts';
import { Prisma } from '../generated/prisma/client.js';

/** Problem bodies: `{status, error, message, problems?: [{path, reason}]}`. */
export interface ProblemBody {
  status: number;
  error: string;
  message: string;
  problems?: Array<{ path: string; reason: string }>;
}

const logger = new Logger('http');

/** The one place where domain errors become HTTP statuses. Unexpected errors are logged, never sent. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const requestId = host.switchToHttp().getRequest<{ id?: string }>().id;
    const body = problemOf(error, requestId);
    if (!response.headersSent) response.status(body.status).json(body);
  }
}

/** The problem body (and status) an error is answered with; for handlers outside Nest's router too. */
export function problemOf(error: unknown, requestId?: string): ProblemBody {
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const payload = error.getResponse();
    const message = typeof payload === 'string' ? payload : ((payload as { message?: string | string[] }).message ?? error.message);
    return { status, error: error.name, message: Array.isArray(message) ? message.join('; ') : message };
  }
  if (error instanceof AggregateSpecError) {
    const problems = error.errors.map((e) => ({
      path: 'path' in e ? String(e.path) : '',
      reason: 'reason' in e ? String(e.reason) : e.message,
    }));
    return { status: 400, error: error.code, message: error.message, problems };
  }
  if (error instanceof SpecError)
    return { status: 400, error: error.code, message: error.message, problems: [{ path: error.path, reason: error.reason }] };
  if (error instanceof RenderError)
    return { status: 422, error: error.code, message: error.message, problems: [{ path: error.path, reason: error.reason }] };
  if (error instanceof SourceError) return { status: 422, error: error.code, message: error.message };
  if (error instanceof FlotillaError) return { status: 400, error: error.code, message: error.message };
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
    return { status: 409, error: 'CONFLICT', message: 'already exists' };
  }
  if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') {
    return { status: 404, error: 'NOT_FOUND', message: 'not found' };
  }
  logger.error(`request ${requestId ?? '?'}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return { status: 500, error: 'INTERNAL', message: `internal error (request ${requestId ?? 'unknown'})` };
}
