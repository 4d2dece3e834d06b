import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Logger,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Allow } from '../auth/access.decorator.js';
import { sameSecret } from '../auth/secrets.js';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { TriggersService } from '../pipeline/triggers.service.js';
import { validHmac } from './signature.js';

type RawRequest = Request & { rawBody?: Buffer };

interface Repository {
  full_name?: string;
  clone_url?: string;
  html_url?: string;
  ssh_url?: string;
}

interface GitlabProject {
  id?: number;
  path_with_namespace?: string;
  git_http_url?: string;
  git_ssh_url?: string;
  web_url?: string;
}

/** Pull request actions that can change what a pull request generator returns (as Argo CD filters them). */
const GITHUB_ACTIONS = new Set(['opened', 'closed', 'reopened', 'labeled', 'unlabeled', 'synchronize', 'edited', 'ready_for_review']);
const GITEA_ACTIONS = new Set(['opened', 'closed', 'reopened', 'synchronized', 'label_updated', 'label_cleared', 'edited']);
const GITLAB_ACTIONS = new Set(['open', 'close', 'reopen', 'update', 'merge']);

export interface WebhookResult {
  event: string;
  applicationSets: number;
}

/**
 * Webhooks: `/hooks/git` for pushes from any git server; `/hooks/github|gitea|gitlab` for
 * pull request events (and pushes). Pull request events re-render the ApplicationSets whose pull request
 * generators read that repository, push events those that read its commits. Deliveries
 * without a valid signature (GitHub, Gitea: HMAC-SHA256 of the body) or token (GitLab:
 * `X-Gitlab-Token`) are refused with 401 and logged, and change nothing.
 */
@ApiTags('webhooks')
@Controller('hooks')
export class ScmWebhookController {
  private readonly logger = new Logger('webhooks');

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly triggers: TriggersService,
  ) {}

  @Post('github')
  @Allow('public')
  @HttpCode(202)
  @ApiOperation({ summary: 'GitHub webhook (pull_request, push); X-Hub-Signature-256 required' })
  async github(
    @Req() request: RawRequest,
    @Headers('x-github-event') event = '',
    @Headers('x-hub-signature-256') signature?: string,
    @Headers('x-github-delivery') delivery?: string,
  ): Promise<WebhookResult> {
    const body = this.verified('github', request, delivery, (secret, raw) => validHmac(secret, raw, signature));
    const payload = parseJson<{ action?: string; repository?: Repository }>(body);
    if (event === 'pull_request') {
      if (!GITHUB_ACTIONS.has(payload.action ?? '')) return { event, applicationSets: 0 };
      return { event, applicationSets: (await this.triggers.pullRequestsChanged('github', names(payload.repository))).length };
    }
    if (event === 'push') return { event, applicationSets: await this.pushed(urls(payload.repository)) };
    return { event, applicationSets: 0 };
  }

  @Post('gitea')
  @Allow('public')
  @HttpCode(202)
  @ApiOperation({ summary: 'Gitea webhook (pull_request, push); X-Gitea-Signature required' })
  async gitea(
    @Req() request: RawRequest,
    @Headers('x-gitea-event') event = '',
    @Headers('x-gitea-signature') signature?: string,
    @Headers('x-gitea-delivery') delivery?: string,
  ): Promise<WebhookResult> {
    const body = this.verified('gitea', request, delivery, (secret, raw) => validHmac(secret, raw, signature));
    const payload = parseJson<{ action?: string; repository?: Repository }>(body);
    if (event.startsWith('pull_request')) {
      if (!GITEA_ACTIONS.has(payload.action ?? '')) return { event, applicationSets: 0 };
      return { event, applicationSets: (await this.triggers.pullRequestsChanged('gitea', names(payload.repository))).length };
    }
    if (event === 'push') return { event, applicationSets: await this.pushed(urls(payload.repository)) };
    return { event, applicationSets: 0 };
  }

  @Post('gitlab')
  @Allow('public')
  @HttpCode(202)
  @ApiOperation({ summary: 'GitLab webhook (Merge Request Hook, Push Hook); X-Gitlab-Token required' })
  async gitlab(
    @Req() request: RawRequest,
    @Headers('x-gitlab-event') event = '',
    @Headers('x-gitlab-token') token?: string,
    @Headers('x-gitlab-event-uuid') delivery?: string,
  ): Promise<WebhookResult> {
    const body = this.verified('gitlab', request, delivery, (secret) => token !== undefined && sameSecret(token, secret));
    const payload = parseJson<{ object_attributes?: { action?: string }; project?: GitlabProject }>(body);
    const project = payload.project ?? {};
    if (event === 'Merge Request Hook') {
      if (!GITLAB_ACTIONS.has(payload.object_attributes?.action ?? '')) return { event, applicationSets: 0 };
      const ids = [project.path_with_namespace, project.id === undefined ? undefined : String(project.id)].filter(
        (name): name is string => typeof name === 'string' && name.length > 0,
      );
      return { event, applicationSets: (await this.triggers.pullRequestsChanged('gitlab', ids)).length };
    }
    if (event === 'Push Hook') return { event, applicationSets: await this.pushed(urls(project)) };
    return { event, applicationSets: 0 };
  }

  @Post('git')
  @Allow('public')
  @HttpCode(202)
  @ApiOperation({ summary: 'Any git push webhook (GitHub, Gitea or GitLab-shaped body) signed like GitHub or Gitea' })
  async git(
    @Req() request: RawRequest,
    @Headers('x-hub-signature-256') hubSignature?: string,
    @Headers('x-gitea-signature') giteaSignature?: string,
  ): Promise<{ applicationSets: number }> {
    const body = this.verified('git', request, undefined, (secret, raw) => validHmac(secret, raw, hubSignature ?? giteaSignature));
    const payload = parseJson<{ repository?: Repository; project?: GitlabProject }>(body);
    return { applicationSets: await this.pushed([...urls(payload.repository), ...urls(payload.project)]) };
  }

  /** The raw body of a delivery whose signature checks out; anything else is refused and logged. */
  private verified(
    provider: string,
    request: RawRequest,
    delivery: string | undefined,
    valid: (secret: string, body: Buffer) => boolean,
  ): Buffer {
    const secret = this.config.FLOTILLA_WEBHOOK_SECRET;
    if (!secret) throw new NotFoundException('webhooks are not configured (FLOTILLA_WEBHOOK_SECRET)');
    const body = request.rawBody;
    if (!body || body.length === 0) throw new BadRequestException('empty body');
    if (!valid(secret, body)) {
      this.logger.warn(`${provider} delivery ${delivery ?? '(no id)'} from ${request.ip}: invalid signature, ignored`);
      throw new UnauthorizedException(`invalid ${provider} webhook signature`);
    }
    return body;
  }

  private async pushed(repositoryUrls: string[]): Promise<number> {
    if (repositoryUrls.length === 0) throw new BadRequestException('payload names no repository');
    return (await this.triggers.repositoriesChanged(repositoryUrls)).length;
  }
}

function parseJson<T>(body: Buffer): T {
  let text = body.toString('utf8');
  // GitHub and Gitea may also send `application/x-www-form-urlencoded` with the JSON in `payload`.
  if (text.startsWith('payload=')) text = new URLSearchParams(text).get('payload') ?? '';
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') throw new Error('not an object');
    return value as T;
  } catch {
    throw new BadRequestException('body is not a JSON object');
  }
}

function names(repository: Repository | undefined): string[] {
  return repository?.full_name ? [repository.full_name] : [];
}

function urls(repository: Repository | GitlabProject | undefined): string[] {
  return Object.entries(repository ?? {})
    .filter(([key, value]) => key.endsWith('url') && typeof value === 'string' && value.length > 0)
    .map(([, value]) => value as string);
}
