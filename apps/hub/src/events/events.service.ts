import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Prisma } from '../generated/prisma/client.js';
import { NotificationDispatcher } from '../notifications/notifications.service.js';

export interface EventRecord {
  actor: string;
  type: string;
  subject: string;
  message: string;
  data?: Record<string, unknown>;
}

/** The audit and event log: who changed what, and what the pipeline did about it. */
@Injectable()
export class EventsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly notifications: NotificationDispatcher,
  ) {}

  async record(event: EventRecord, tx: Prisma.TransactionClient = this.prisma): Promise<void> {
    const row = await tx.event.create({ data: { ...event, data: (event.data ?? {}) as Prisma.InputJsonValue } });
    await this.notifications.dispatch({ ...event, at: row.at.toISOString() });
  }

  async list(options: { subject?: string; limit: number }): Promise<Array<EventRecord & { id: string; at: Date }>> {
    const rows = await this.prisma.event.findMany({
      where: options.subject ? { subject: options.subject } : {},
      orderBy: { id: 'desc' },
      take: options.limit,
    });
    return rows.map((row) => ({ ...row, id: row.id.toString(), data: row.data as Record<string, unknown> }));
  }
}
