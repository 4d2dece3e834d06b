import { PrismaPg } from '@prisma/adapter-pg';
import type { PrismaConfig } from 'prisma';

// Migrations run through the Wasm schema engine and the pg driver adapter: no engine
// binary is downloaded (see ../shared/TOOLCHAIN.md and docs/adr/0003).
export default {
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
} satisfies PrismaConfig;
