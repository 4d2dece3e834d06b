import type { ServerResponse } from 'node:http';
import type { PlanNotifier, PlanWaiter } from '../pipeline/plan-notifier.service.js';
import type { RevisionLoader, SerialisedRevision } from './revision-loader.js';

/**
 * How a poll ends: with the newest revision, undefined (nothing newer came in time, or the
 * hub is shutting down), or the error that stopped it. Not called when the agent hung up.
 */
export type PollAnswer = (poll: PlanPoll, revision: SerialisedRevision | undefined, error?: unknown) => void;

/** What a poll needs from the gateway. */
export interface PollSources {
  readonly revisions: RevisionLoader;
  readonly notifier: PlanNotifier;
  readonly draining: boolean;
}

/**
 * One agent's long-poll for its cluster's next plan revision, from the authenticated request
 * to the answer. A hub holds one per agent for up to minutes, so everything a held poll keeps
 * is this object and its hang-up listener: no async frames, promises or timer of its own (see
 * docs/benchmarks.md, delivery: memory per held agent).
 *
 * It is held by the notifier before it reads the newest revision, so a revision stored while
 * the read runs still wakes it; a wake during the read means: read again.
 */
export class PlanPoll implements PlanWaiter {
  /** `performance.now()` when the poll began, for the request-duration metric. */
  readonly startedAt = performance.now();
  /** The notifier holds it (a wake releases it). */
  private held = false;
  private reading = false;
  private wokenWhileReading = false;
  private done = false;
  /** The agent hung up: the poll ends without an answer. */
  private readonly hungUp = (): void => {
    if (this.done) return;
    this.done = true;
    if (this.held) this.sources.notifier.release(this);
    this.held = false;
  };

  constructor(
    private readonly sources: PollSources,
    readonly clusterId: string,
    private readonly after: number,
    /** `Date.now()` after which it answers with what it has. */
    readonly deadline: number,
    readonly response: ServerResponse,
    private readonly answer: PollAnswer,
  ) {}

  start(): void {
    this.response.on('close', this.hungUp);
    this.holdAndRead();
  }

  /** From the notifier, which released it: a new revision may be there, the deadline passed, or the hub is stopping. */
  wake(): void {
    this.held = false;
    if (this.done) return;
    if (this.reading) this.wokenWhileReading = true;
    else this.holdAndRead();
  }

  private holdAndRead(): void {
    this.held = this.sources.notifier.hold(this);
    this.reading = true;
    this.wokenWhileReading = false;
    this.sources.revisions.newestAfter(this.clusterId, this.after).then(
      (newest) => this.afterRead(newest),
      (error: unknown) => this.finish(undefined, error),
    );
  }

  private afterRead(newest: SerialisedRevision | undefined): void {
    this.reading = false;
    if (this.done) return;
    if (newest || Date.now() >= this.deadline || this.sources.draining) this.finish(newest);
    else if (this.wokenWhileReading) this.holdAndRead();
    // Not held and not woken: the notifier would not hold it, as the hub is shutting down.
    else if (!this.held) this.finish(undefined);
  }

  private finish(newest: SerialisedRevision | undefined, error?: unknown): void {
    if (this.done) return;
    this.done = true;
    if (this.held) this.sources.notifier.release(this);
    this.response.off('close', this.hungUp);
    this.answer(this, newest, error);
  }
}
