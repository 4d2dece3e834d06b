import { type DynamicModule, Module, type Provider, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AgentGatewayController } from './agent-gateway/agent-gateway.controller.js';
import { AgentGatewayService } from './agent-gateway/agent-gateway.service.js';
import { AppSetsController } from './appsets/appsets.controller.js';
import { AppSetsService } from './appsets/appsets.service.js';
import { AuthGuard } from './auth/auth.guard.js';
import { TokenService } from './auth/token.service.js';
import { TokensController } from './auth/tokens.controller.js';
import { ClustersController } from './clusters/clusters.controller.js';
import { ClustersService } from './clusters/clusters.service.js';
import { ErrorFilter } from './common/error.filter.js';
import { HUB_CONFIG, type HubConfig } from './config/hub-config.js';
import { PrismaService } from './database/prisma.service.js';
import { EventsService } from './events/events.service.js';
import { FleetController } from './fleet/fleet.controller.js';
import { RollbacksController } from './fleet/rollbacks.controller.js';
import { HealthController } from './health/health.controller.js';
import { HttpMetricsInterceptor } from './metrics/http-metrics.interceptor.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsService } from './metrics/metrics.service.js';
import { NotificationSender } from './notifications/notification-sender.service.js';
import { NotificationsController } from './notifications/notifications.controller.js';
import { NotificationDispatcher } from './notifications/notifications.service.js';
import { feedbackProvider, gitProvider, plannerProvider, pullRequestsProvider } from './pipeline/fleet.providers.js';
import { GitPollerService } from './pipeline/git-poller.service.js';
import { PlanService } from './pipeline/plan.service.js';
import { PlanNotifier } from './pipeline/plan-notifier.service.js';
import { QueuesService } from './pipeline/queues.service.js';
import { ReconcilerService } from './pipeline/reconciler.service.js';
import { RenderService } from './pipeline/render.service.js';
import { RendererCache } from './pipeline/renderer-cache.js';
import { TriggersService } from './pipeline/triggers.service.js';
import { WorkersService } from './pipeline/workers.service.js';
import { PreviewFeedbackService } from './previews/feedback.service.js';
import { PreviewFeedbackQueue } from './previews/feedback-queue.service.js';
import { PullRequestPollerService } from './previews/pull-request-poller.service.js';
import { RedisService } from './redis/redis.service.js';
import { SecretsController } from './secrets/secrets.controller.js';
import { SecretsService } from './secrets/secrets.service.js';
import { ScmWebhookController } from './webhooks/scm-webhook.controller.js';

/**
 * The hub. One image, roles by configuration: `api` serves the admin API, the agent
 * gateway and webhooks; `worker` runs render and plan jobs and the reconciler.
 * Both roles share the same providers for Postgres, Redis, queues and the event log.
 */
@Module({})
export class HubModule {
  static forRoot(config: HubConfig): DynamicModule {
    const shared: Provider[] = [
      { provide: HUB_CONFIG, useValue: config },
      PrismaService,
      RedisService,
      EventsService,
      TokenService,
      QueuesService,
      TriggersService,
      PlanNotifier,
      MetricsService,
      SecretsService,
      PreviewFeedbackQueue,
      NotificationDispatcher,
      { provide: APP_GUARD, useClass: AuthGuard },
      { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
      { provide: APP_FILTER, useClass: ErrorFilter },
    ];
    const api = config.FLOTILLA_ROLES.includes('api');
    const worker = config.FLOTILLA_ROLES.includes('worker');
    const controllers: Type[] = [HealthController, MetricsController];
    const providers: Provider[] = [...shared];
    if (api) {
      controllers.push(
        TokensController,
        ClustersController,
        AppSetsController,
        FleetController,
        RollbacksController,
        AgentGatewayController,
        ScmWebhookController,
        SecretsController,
        NotificationsController,
      );
      providers.push(ClustersService, AppSetsService, AgentGatewayService);
    }
    if (worker)
      providers.push(
        gitProvider,
        plannerProvider,
        pullRequestsProvider,
        feedbackProvider,
        RendererCache,
        RenderService,
        PlanService,
        ReconcilerService,
        GitPollerService,
        PullRequestPollerService,
        PreviewFeedbackService,
        NotificationSender,
        WorkersService,
      );
    return { module: HubModule, controllers, providers };
  }
}
