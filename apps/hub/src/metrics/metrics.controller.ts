import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow } from '../auth/access.decorator.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('health')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Viewer token required: series name clusters. Prometheus sends it as `authorization.credentials`. */
  @Get('metrics')
  @Allow('viewer')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics (text format); needs a viewer token' })
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
