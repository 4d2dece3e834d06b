import type { HubConfig } from '../config/hub-config.js';

/**
 * Failed work is tried again with exponential backoff instead of waiting for the next change:
 * a git server that was down for a minute must not leave an ApplicationSet failed, or a
 * cluster's Application unplanned, until someone pushes again. Rows count their consecutive
 * failures and hold when the next attempt is due; the reconciler claims what is due.
 */
export interface RetryPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

export const retryPolicy = (config: HubConfig): RetryPolicy => ({
  baseSeconds: config.FLOTILLA_RETRY_BASE_SECONDS,
  maxSeconds: config.FLOTILLA_RETRY_MAX_SECONDS,
});

/** The current time as Prisma stores timestamps (UTC in timestamp(3) columns). */
export const UTC_NOW_SQL = `(now() AT TIME ZONE 'UTC')`;

/**
 * SQL for when the next attempt is due after one more failure: `base × 2^failures so far`,
 * at most `max` (seconds, given as SQL parameters).
 */
export function nextRetrySql(failures: string, baseParam: string, maxParam: string): string {
  return `${UTC_NOW_SQL} + least(${baseParam}::float8 * power(2, least(${failures}, 30)), ${maxParam}::float8) * interval '1 second'`;
}
