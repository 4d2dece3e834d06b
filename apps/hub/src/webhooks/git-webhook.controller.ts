import {
  BadRequestException,
  Controller,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Req,
  UnauthorizedException,
} from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Allow } from '../auth/access.decorator.js';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { TriggersService } from '../pipeline/triggers.service.js';
import { validHmac } from './signature.js';

interface PushPayload {
  repository?: {
    clone_url?: string;
    html_url?: string;
    ssh_url?: string;
    git_url?: string;
    url?: string;
    git_http_url?: string;
    git_ssh_url?: string;
  };
  project?: { git_http_url?: string; git_ssh_url?: string; web_url?: string };
}

/**
 * `POST /hooks/git`: a push webhook (GitHub, Gitea, GitLab-compatible bodies) signed with
 * HMAC-SHA256 (`X-Hub-Signature-256: sha256=<hex>` or `X-Gitea-Signature: <hex>`). It only
 * re-renders the ApplicationSets that read the pushed repository.
 */
@ApiTags('webhooks')
@Controller('hooks')
export class GitWebhookController {
  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly triggers: TriggersService,
  ) {}

  @Post('git')
  @Allow('public')
  @HttpCode(202)
  @ApiOperation({ summary: 'Git push webhook; signature required' })
  async push(
    @Req() request: Request & { rawBody?: Buffer },
    @Headers('x-hub-signature-256') hubSignature?: string,
    @Headers('x-gitea-signature') giteaSignature?: string,
  ): Promise<{ applicationSets: number }> {
    const secret = this.config.FLOTILLA_WEBHOOK_SECRET;
    if (!secret) throw new NotFoundException('git webhooks are not configured (FLOTILLA_WEBHOOK_SECRET)');
    const body = request.rawBody;
    if (!body) throw new BadRequestException('empty body');
    if (!validHmac(secret, body, hubSignature ?? giteaSignature)) throw new UnauthorizedException('invalid webhook signature');
    let payload: PushPayload;
    try {
      payload = JSON.parse(body.toString('utf8')) as PushPayload;
    } catch {
      throw new BadRequestException('body is not JSON');
    }
    const urls = [...Object.values(payload.repository ?? {}), ...Object.values(payload.project ?? {})].filter(
      (u): u is string => typeof u === 'string' && u.length > 0,
    );
    if (urls.length === 0) throw new BadRequestException('payload names no repository');
    const affected = await this.triggers.repositoriesChanged(urls);
    return { applicationSets: affected.length };
  }
}
