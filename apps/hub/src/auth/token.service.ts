import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaService } from '../database/prisma.service.js';
import { RedisService } from '../redis/redis.service.js';
import type { AgentPrincipal, ApiPrincipal, Role } from './principal.js';
import { hashToken, newToken, TOKEN_PREFIX } from './secrets.js';

const LAST_USED_RESOLUTION_MS = 60_000;
/** Redis channel of retired agent credentials (their hashes). */
const RETIRED_CHANNEL = 'agent-credentials-retired';

/** Issues, checks and revokes API tokens and agent credentials; only hashes are stored. */
@Injectable()
export class TokenService implements OnModuleInit {
  private readonly logger = new Logger('tokens');
  /**
   * Agent credentials are checked on every request, by thousands of agents: a verified one is
   * remembered (FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS). A retired credential (rotated,
   * superseded by a new registration, its cluster deleted) is forgotten by every replica at
   * once, through Redis (docs/adr/0006-agent-credential-cache.md).
   */
  private readonly agents: LRUCache<string, AgentPrincipal>;
  /** Counts the retirements this replica heard of: a lookup that overlapped one does not cache its answer. */
  private retirements = 0;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    private readonly redis: RedisService,
  ) {
    const ttl = config.FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS * 1000;
    this.agents = new LRUCache<string, AgentPrincipal>({ max: 50_000, ttl: Math.max(ttl, 1) });
  }

  async onModuleInit(): Promise<void> {
    // Retirements published while the subscriber was disconnected are lost: after every
    // (re)subscription, nothing remembered from before it is trusted.
    this.redis.onResubscribed(() => this.forgetAll());
    await this.redis.listen(RETIRED_CHANNEL, (hash) => this.forget(hash));
  }

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
    // Remembered credentials are trusted only while this replica hears of retirements.
    const listening = this.redis.listening && this.config.FLOTILLA_AGENT_CREDENTIAL_CACHE_SECONDS > 0;
    const cached = listening ? this.agents.get(hash) : undefined;
    if (cached) return cached;
    const retirementsBefore = this.retirements;
    const [cluster] = await this.prisma.hotQuery<{ id: string; name: string }>(
      'agent-credential',
      `SELECT id, name FROM "Cluster" WHERE "agentCredentialHash" = $1`,
      [hash],
    );
    if (!cluster) return undefined;
    const principal: AgentPrincipal = { kind: 'agent', clusterId: cluster.id, clusterName: cluster.name };
    // A retirement heard while the row was read may be of this very credential, read before it committed.
    if (listening && retirementsBefore === this.retirements) this.agents.set(hash, principal);
    return principal;
  }

  /**
   * After a credential (by hash) stopped being valid in Postgres (rotated, superseded, its
   * cluster deleted): every replica forgets it now. Call it once the change is committed.
   */
  async retireAgentCredential(hash: string): Promise<void> {
    this.forget(hash);
    try {
      await this.redis.client.publish(this.redis.channel(RETIRED_CHANNEL), hash);
    } catch (error) {
      // The change is committed; replicas whose subscriber lost Redis too do not trust their cache.
      this.logger.warn(`could not tell other replicas of a retired agent credential: ${(error as Error).message}`);
    }
  }

  private forget(hash: string): void {
    this.retirements += 1;
    this.agents.delete(hash);
  }

  private forgetAll(): void {
    this.retirements += 1;
    this.agents.clear();
  }
}
