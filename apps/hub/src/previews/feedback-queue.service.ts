import { Injectable } from '@nestjs/common';
import { type FeedbackJob, QUEUE } from '../pipeline/jobs.js';
import { QueuesService } from '../pipeline/queues.service.js';

/** Feedback is retried with backoff: a provider outage delays it, it is never lost or repeated. */
const FEEDBACK_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: true,
  removeOnFail: 1000,
} as const;

/** Coalescing window: reports from several clusters within it give one round of feedback. */
const COALESCE_MS = 1000;

/** Queues feedback for previews whose state may have changed. */
@Injectable()
export class PreviewFeedbackQueue {
  constructor(private readonly queues: QueuesService) {}

  async enqueue(previewIds: readonly string[]): Promise<void> {
    if (previewIds.length === 0) return;
    // One job per preview and window: repeated triggers collapse; a later window runs again.
    const window = Math.floor(Date.now() / COALESCE_MS);
    await this.queues.feedback.addBulk(
      [...new Set(previewIds)].map((previewId) => ({
        name: QUEUE.feedback,
        data: { previewId } satisfies FeedbackJob,
        opts: { ...FEEDBACK_JOB_OPTIONS, jobId: `feedback-${previewId}-${window}`, delay: COALESCE_MS },
      })),
    );
  }
}
