/** Queue names and job payloads of the pipeline, in one place. */
export const QUEUE = {
  render: 'render',
  plan: 'plan',
} as const;

/** Render an ApplicationSet up to at least `generation`. */
export interface RenderJob {
  appSetId: string;
  generation: number;
}

/** Recompute a cluster's plan up to at least `generation`. */
export interface PlanJob {
  clusterId: string;
  generation: number;
}

export const JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: true,
  removeOnFail: 1000,
} as const;

/** One job per target and generation: repeated triggers of the same change collapse into one. */
export const renderJobId = (job: RenderJob): string => `render-${job.appSetId}-${job.generation}`;
export const planJobId = (job: PlanJob): string => `plan-${job.clusterId}-${job.generation}`;
