import { createHash } from 'node:crypto';

/** Queue names and job payloads of the pipeline, in one place. */
export const QUEUE = {
  render: 'render',
  plan: 'plan',
  feedback: 'preview-feedback',
  notify: 'notify',
} as const;

/** Deliver one event to one notification. */
export interface NotifyJob {
  notification: string;
  event: { type: string; subject: string; message: string; actor: string; at: string; data?: Record<string, unknown> };
}

/** Report a preview's state back to its pull request (status and comment). */
export interface FeedbackJob {
  previewId: string;
}

/** Render an ApplicationSet up to at least `generation`. */
export interface RenderJob {
  appSetId: string;
  generation: number;
}

/** Recompute these clusters' plans, each up to at least its `generation`. */
export interface PlanJob {
  clusters: Array<{ clusterId: string; generation: number }>;
}

/** Clusters planned by one job: their reads and writes are batched, so fan-out costs few round trips. */
export const PLAN_BATCH_SIZE = 250;

export const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: 1000,
} as const;

/** One job per target and generation: repeated triggers of the same change collapse into one. */
export const renderJobId = (job: RenderJob): string => `render-${job.appSetId}-${job.generation}`;
export const planJobId = (job: PlanJob): string =>
  `plan-${createHash('sha1')
    .update(job.clusters.map((c) => `${c.clusterId}:${c.generation}`).join(','))
    .digest('hex')}`;
