import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Allow } from '../auth/access.decorator.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from '../auth/principal.js';
import { parseBody } from '../common/validation.js';
import { PrismaService } from '../database/prisma.service.js';
import { EventsService } from '../events/events.service.js';
import { NOTIFIABLE_EVENTS } from './notification-rules.js';
import { NotificationDispatcher } from './notifications.service.js';

const notificationSchema = z
  .strictObject({
    type: z.enum(['webhook', 'slack']),
    url: z.url({ protocol: /^https?$/ }).optional(),
    urlFrom: z.strictObject({ secretName: z.string().min(1), key: z.string().min(1) }).optional(),
    events: z.array(z.string().regex(/^(\*|[A-Z][A-Za-z]+)$/, `an event type such as ${NOTIFIABLE_EVENTS.join(', ')}, or *`)).min(1),
    subjectPrefix: z.string().min(1).optional(),
  })
  .refine((n) => (n.url === undefined) !== (n.urlFrom === undefined), { message: 'give exactly one of url and urlFrom', path: ['url'] });

/** Admin-only: where events go. Responses never include a URL held in a secret. */
@ApiTags('notifications')
@ApiBearerAuth()
@Controller('api/v1/notifications')
export class NotificationsController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly dispatcher: NotificationDispatcher,
    private readonly events: EventsService,
  ) {}

  @Put(':name')
  @Allow('admin')
  @ApiOperation({ summary: 'Create or replace a notification (webhook or Slack-style) for some event types' })
  @ApiBody({ schema: z.toJSONSchema(notificationSchema) as object })
  async put(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<unknown> {
    const input = parseBody(notificationSchema, body);
    const data = {
      type: input.type,
      url: input.url ?? null,
      urlSecretName: input.urlFrom?.secretName ?? null,
      urlSecretKey: input.urlFrom?.key ?? null,
      events: input.events,
      subjectPrefix: input.subjectPrefix ?? null,
    };
    const row = await this.prisma.notification.upsert({ where: { name }, create: { name, ...data }, update: data });
    this.dispatcher.invalidate();
    await this.events.record({
      actor: actorOf(principal),
      type: 'NotificationUpdated',
      subject: `notification/${name}`,
      message: input.events.join(', '),
    });
    return view(row);
  }

  @Get()
  @Allow('admin')
  async list(): Promise<unknown[]> {
    return (await this.prisma.notification.findMany({ orderBy: { name: 'asc' } })).map(view);
  }

  @Delete(':name')
  @Allow('admin')
  @HttpCode(204)
  async remove(@Param('name') name: string, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<void> {
    const { count } = await this.prisma.notification.deleteMany({ where: { name } });
    if (count === 0) throw new NotFoundException(`notification ${name} not found`);
    this.dispatcher.invalidate();
    await this.events.record({
      actor: actorOf(principal),
      type: 'NotificationDeleted',
      subject: `notification/${name}`,
      message: 'deleted',
    });
  }
}

function view(row: {
  name: string;
  type: string;
  url: string | null;
  urlSecretName: string | null;
  urlSecretKey: string | null;
  events: unknown;
  subjectPrefix: string | null;
}) {
  return {
    name: row.name,
    type: row.type,
    ...(row.url ? { url: row.url } : { urlFrom: { secretName: row.urlSecretName, key: row.urlSecretKey } }),
    events: row.events,
    ...(row.subjectPrefix ? { subjectPrefix: row.subjectPrefix } : {}),
  };
}
