import { z } from 'zod';

/**
 * The agent gateway protocol (`/agent/v1`), shared by the hub and the agent.
 *
 *   POST /agent/v1/register   {bootstrapToken}           → {cluster, credential}
 *   GET  /agent/v1/plan?after=N&waitSeconds=S             → 200 PlanRevisionResponse | 204 (nothing newer)
 *   POST /agent/v1/status     StatusReport                → 204
 *   POST /agent/v1/heartbeat  Heartbeat                   → 204
 *   POST /agent/v1/credential                             → {credential} (rotates; the old one stops working)
 *
 * Every call but register carries `Authorization: Bearer <credential>`.
 */

export const registerRequestSchema = z.strictObject({ bootstrapToken: z.string().min(1) });
export type RegisterRequest = z.infer<typeof registerRequestSchema>;

export interface RegisterResponse {
  cluster: string;
  credential: string;
}

export interface PlanRevisionResponse {
  revision: number;
  hash: string;
  /** A Plan as libs/plans defines it. */
  plan: unknown;
}

export const SYNC_STATES = ['Synced', 'OutOfSync', 'Unknown'] as const;
export const HEALTH_STATES = ['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'] as const;

const objectStatusSchema = z.strictObject({
  group: z.string(),
  kind: z.string(),
  namespace: z.string().optional(),
  name: z.string(),
  sync: z.enum(SYNC_STATES),
  health: z.enum(HEALTH_STATES),
  message: z.string().max(2000).default(''),
  /** Fields that differ from the plan (drift), when OutOfSync. */
  diff: z.array(z.string().max(500)).max(100).optional(),
});

export const statusReportSchema = z.strictObject({
  /** The plan revision these results are for. */
  revision: z.number().int().nonnegative(),
  applications: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        sync: z.enum(SYNC_STATES),
        health: z.enum(HEALTH_STATES),
        message: z.string().max(4000).default(''),
        objects: z.array(objectStatusSchema).max(10_000).default([]),
      }),
    )
    .max(5_000),
});
export type StatusReport = z.infer<typeof statusReportSchema>;

export const heartbeatSchema = z.strictObject({
  kubeVersion: z.string().max(100).optional(),
  apiVersions: z.array(z.string().max(300)).max(5_000).optional(),
  agentVersion: z.string().max(100).optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;
