import { Controller, Get, HttpCode, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../auth/access.decorator.js';
import { PrismaService } from '../database/prisma.service.js';
import { RedisService } from '../redis/redis.service.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly prisma: PrismaService,
    private readonly redis: RedisService,
  ) {}

  @Get('healthz')
  @Allow('public')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  @Allow('public')
  @HttpCode(200)
  @ApiOperation({ summary: 'Readiness: Postgres and Redis are reachable' })
  async ready(): Promise<{ status: string; postgres: string; redis: string }> {
    const [postgres, redis] = await Promise.allSettled([this.prisma.$queryRaw`SELECT 1`, this.redis.client.ping()]);
    const result = {
      status: 'ok',
      postgres: postgres.status === 'fulfilled' ? 'ok' : 'down',
      redis: redis.status === 'fulfilled' ? 'ok' : 'down',
    };
    if (result.postgres !== 'ok' || result.redis !== 'ok') throw new ServiceUnavailableException({ ...result, status: 'unavailable' });
    return result;
  }
}
