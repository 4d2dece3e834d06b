import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import type { AgentPrincipal, ApiPrincipal, Role } from './principal.js';
import { hashToken, newToken, TOKEN_PREFIX } from './secrets.js';

const LAST_USED_RESOLUTION_MS = 60_000;
/**
 * Agent credentials are checked on every poll, by thousands of agents: a verified one is
 * remembered for a few seconds. A rotated credential is forgotten at once on the replica
 * that rotated it and within this time on the others.
 */
const AGENT_CREDENTIAL_CACHE_MS = 5_000;

/** Issues, checks and revokes API tokens and agent credentials; only hashes are stored. */
@Injectable()
export class TokenService {
  private readonly agents = new LRUCache<string, AgentPrincipal>({ max: 50_000, ttl: AGENT_CREDENTIAL_CACHE_MS });

  constructor(
    private readonly prisma: PrismaService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  /** Stores FLOTILLA_ADMIN_TOKEN as the first admin token when it is not stored yet. */
  async ensureFirstAdmin(): Promise<void> {
    const token = this.config.FLOTILLA_ADMIN_TOKEN;
    if (!token) return;
    const tokenHash = hashToken(token);
    await this.prisma.apiToken.upsert({ where: { tokenHash }, update: {}, create: { name: 'bootstrap-admin', role: 'admin', tokenHash } });
  }

  async create(name: string, role: Role, expiresAt?: Date): Promise<{ id: string; token: string; expiresAt: Date | null }> {
    const token = newToken(TOKEN_PREFIX.admin);
    const row = await this.prisma.apiToken.create({ data: { name, role, tokenHash: hashToken(token), expiresAt: expiresAt ?? null } });
    return { id: row.id, token, expiresAt: row.expiresAt };
  }

  async verifyApiToken(token: string): Promise<ApiPrincipal | undefined> {
    const row = await this.prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
    const now = new Date();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now)) return undefined;
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: now } });
    }
    return { kind: 'api', tokenId: row.id, name: row.name, role: row.role };
  }

  async verifyAgentCredential(credential: string): Promise<AgentPrincipal | undefined> {
    const hash = hashToken(credential);
    const cached = this.agents.get(hash);
    if (cached) return cached;
    const [cluster] = await this.prisma.hotQuery<{ id: string; name: string }>(
      'agent-credential',
      `SELECT id, name FROM "Cluster" WHERE "agentCredentialHash" = $1`,
      [hash],
    );
    if (!cluster) return undefined;
    const principal: AgentPrincipal = { kind: 'agent', clusterId: cluster.id, clusterName: cluster.name };
    this.agents.set(hash, principal);
    return principal;
  }

  /** Drops a credential (by hash) from the cache, after it was rotated or its cluster deleted. */
  forgetAgentCredential(hash: string): void {
    this.agents.delete(hash);
  }
}
