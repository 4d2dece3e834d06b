import { BadRequestException, Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Allow } from '../auth/access.decorator.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { type AgentPrincipal, type ApiPrincipal, actorOf } from '../auth/principal.js';
import { parseBody } from '../common/validation.js';
import { EventsService } from '../events/events.service.js';
import { type SecretSummary, SecretsService } from './secrets.service.js';

/** Kubernetes Secret naming: the names `tokenRef.secretName` uses. */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

const putSchema = z.strictObject({
  data: z
    .record(z.string().regex(/^[-._a-zA-Z0-9]+$/, 'keys are letters, digits, "-", "_" and "."'), z.string().max(64 * 1024))
    .refine((data) => Object.keys(data).length > 0, 'needs at least one key'),
});

/** Admin-only: hub secrets for SCM tokens. Values go in and are never returned. */
@ApiTags('secrets')
@ApiBearerAuth()
@Controller('api/v1/secrets')
export class SecretsController {
  constructor(
    private readonly secrets: SecretsService,
    private readonly events: EventsService,
  ) {}

  @Put(':name')
  @Allow('admin')
  @ApiOperation({ summary: 'Create or replace a secret; the response lists its keys, never its values' })
  @ApiBody({ schema: z.toJSONSchema(putSchema) as object })
  async put(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal,
  ): Promise<SecretSummary> {
    if (name.length > 253 || !SECRET_NAME.test(name)) {
      throw new BadRequestException(`name: "${name}" is not a valid secret name (lower case letters, digits, "-" and ".")`);
    }
    const input = parseBody(putSchema, body);
    const summary = await this.secrets.put(name, input.data);
    await this.events.record({
      actor: actorOf(principal),
      type: 'SecretUpdated',
      subject: `secret/${name}`,
      message: summary.keys.join(', '),
    });
    return summary;
  }

  @Get()
  @Allow('admin')
  @ApiOperation({ summary: 'List secrets by name and key names' })
  list(): Promise<SecretSummary[]> {
    return this.secrets.list();
  }

  @Delete(':name')
  @Allow('admin')
  @HttpCode(204)
  async delete(@Param('name') name: string, @CurrentPrincipal() principal: ApiPrincipal | AgentPrincipal): Promise<void> {
    if (!(await this.secrets.delete(name))) throw new NotFoundException(`secret ${name} not found`);
    await this.events.record({ actor: actorOf(principal), type: 'SecretDeleted', subject: `secret/${name}`, message: 'deleted' });
  }
}
