import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { SecretResolver } from '#scm';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { seal, unseal } from './sealing.js';

export interface SecretSummary {
  name: string;
  keys: string[];
  updatedAt: Date;
}

/**
 * Named secrets of the hub, encrypted at rest. Generators reference them as Argo CD does
 * (`tokenRef: {secretName, key}`). Values leave this service only towards the SCM clients.
 */
@Injectable()
export class SecretsService implements SecretResolver {
  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly prisma: PrismaService,
  ) {}

  async put(name: string, data: Record<string, string>): Promise<SecretSummary> {
    const sealed = seal(this.key(), name, JSON.stringify(data));
    const row = await this.prisma.secret.upsert({ where: { name }, create: { name, sealed }, update: { sealed } });
    return { name, keys: Object.keys(data).sort(), updatedAt: row.updatedAt };
  }

  async list(): Promise<SecretSummary[]> {
    const rows = await this.prisma.secret.findMany({ orderBy: { name: 'asc' } });
    return rows.map((row) => ({ name: row.name, keys: this.keysOf(row.name, row.sealed), updatedAt: row.updatedAt }));
  }

  async delete(name: string): Promise<boolean> {
    const { count } = await this.prisma.secret.deleteMany({ where: { name } });
    return count > 0;
  }

  async resolve(secretName: string, key: string): Promise<string | undefined> {
    if (!this.config.FLOTILLA_SECRET_KEY) return undefined;
    const row = await this.prisma.secret.findUnique({ where: { name: secretName } });
    if (!row) return undefined;
    const data = JSON.parse(unseal(this.config.FLOTILLA_SECRET_KEY, row.name, row.sealed)) as Record<string, string>;
    return Object.hasOwn(data, key) ? data[key] : undefined;
  }

  private keysOf(name: string, sealed: string): string[] {
    try {
      return Object.keys(JSON.parse(unseal(this.key(), name, sealed)) as object).sort();
    } catch {
      return []; // sealed with another key: listed, but its keys are unknown
    }
  }

  private key(): Buffer {
    const key = this.config.FLOTILLA_SECRET_KEY;
    if (!key) throw new ServiceUnavailableException('secrets are not configured: set FLOTILLA_SECRET_KEY (32 bytes, hex or base64)');
    return key;
  }
}
