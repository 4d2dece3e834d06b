import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Observable } from 'rxjs';
import { MetricsService } from './metrics.service.js';

/** Times every HTTP request until its response is sent (long-polls included), by route pattern. */
@Injectable()
export class HttpMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const request = context.switchToHttp().getRequest<Request>();
      const response = context.switchToHttp().getResponse<Response>();
      const stop = this.metrics.httpDuration.startTimer();
      response.once('finish', () => {
        // The route pattern (/api/v1/clusters/:name), never the raw path: bounded label values.
        const route = `${request.baseUrl ?? ''}${(request.route as { path?: string } | undefined)?.path ?? ''}` || 'unmatched';
        stop({ method: request.method, route, code: String(response.statusCode) });
      });
    }
    return next.handle();
  }
}
