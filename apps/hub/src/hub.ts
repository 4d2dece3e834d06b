import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { requestIdOf, serveAgentFastPath } from './agent-gateway/agent-fast-path.js';
import { TokenService } from './auth/token.service.js';
import type { HubConfig } from './config/hub-config.js';
import { applyMigrations } from './database/migrate.js';
import { HubModule } from './hub.module.js';

export interface HubOptions {
  /** Nest's logger levels; false silences it (tests). */
  logger?: false | Array<'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal'>;
}

/** Builds a ready hub (migrations applied, first admin token stored), not yet listening. */
export async function createHub(config: HubConfig, options: HubOptions = {}): Promise<INestApplication> {
  if (!config.FLOTILLA_SKIP_MIGRATIONS) await applyMigrations(config.DATABASE_URL);
  const levels = options.logger ?? ['log', 'warn', 'error', 'fatal'];
  const app = await NestFactory.create<NestExpressApplication>(HubModule.forRoot(config), {
    rawBody: true,
    logger:
      levels === false
        ? false
        : new ConsoleLogger({
            logLevels: levels,
            json: config.FLOTILLA_LOG_FORMAT === 'json',
            colors: config.FLOTILLA_LOG_FORMAT === 'text',
          }),
  });
  // Every request carries an id (the caller's X-Request-Id when it is sane), echoed back and
  // logged with any failure, so a user's report and the hub's logs meet.
  app.use((request: IncomingMessage & { id?: string }, response: ServerResponse, next: () => void) => {
    request.id = requestIdOf(request.headers);
    response.setHeader('x-request-id', request.id);
    next();
  });
  // Agents' long-polls, status reports and heartbeats skip express and Nest (agent-fast-path.ts).
  if (config.FLOTILLA_ROLES.includes('api')) serveAgentFastPath(app);
  app.useBodyParser('json', { limit: '20mb' });
  app.useBodyParser('text', { type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'], limit: '5mb' });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Flotilla hub')
      .setDescription('Admin API (/api/v1), agent gateway (/agent/v1) and webhooks (/hooks)')
      .setVersion('v1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  await app.get(TokenService).ensureFirstAdmin();
  return app;
}
