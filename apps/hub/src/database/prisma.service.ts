import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { HUB_CONFIG, type HubConfig } from '../config/hub-config.js';
import { PrismaClient } from '../generated/prisma/client.js';

/**
 * The one Postgres client of the process: Prisma over the pg driver adapter (no engine
 * binary), and the same pg pool for the few bulk writes whose large parameters Prisma's raw
 * query path handles slowly (plan revisions, rendered Applications: several MB per job) and
 * the statements every agent request runs (`hotQuery`).
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  private readonly pool: pg.Pool;

  constructor(@Inject(HUB_CONFIG) config: HubConfig) {
    // Idle connections do not keep a stopping process alive (allowExitOnIdle): the pool is not
    // ended at shutdown, because requests still being answered then would fail on it.
    const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, idleTimeoutMillis: 5_000, allowExitOnIdle: true });
    // An idle connection the server closes (a restart, a dropped database) is simply
    // replaced on next use; without a listener pg would throw it as an uncaught error.
    pool.on('error', () => undefined);
    super({ adapter: new PrismaPg(pool) });
    this.pool = pool;
  }

  /**
   * One statement on the pg pool, prepared once per connection under `name`: for the
   * statements every agent's request runs (credential lookup, status report), where Prisma's
   * per-query compile and Postgres's per-statement planning cost more than the work.
   */
  async hotQuery<T extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T>({ name, text, values });
    return result.rows;
  }

  /**
   * One statement on the pg pool, planned by Postgres for each call with its parameters (an
   * unnamed statement): for hot statements over tables that grow fast, such as status rows
   * filling in as a new fleet's agents first report. A prepared statement's cached generic
   * plan, chosen while the table was empty, keeps scanning it whole as it grows (see
   * docs/benchmarks.md, "Session 6").
   */
  async plannedQuery<T extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<T[]> {
    const result = await this.pool.query<T>({ text, values });
    return result.rows;
  }

  /** Runs `work` in one transaction on a pooled pg connection; rolls back if it throws. */
  async bulkTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
