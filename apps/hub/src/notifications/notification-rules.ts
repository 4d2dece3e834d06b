/**
 * Which events a notification wants, and what it sends: pure functions, tested on their own.
 */

export interface NotificationRule {
  name: string;
  type: 'webhook' | 'slack';
  events: readonly string[];
  subjectPrefix?: string | null;
}

export interface NotifiedEvent {
  type: string;
  subject: string;
  message: string;
  actor: string;
  at: string;
  data?: Record<string, unknown>;
}

/** Event types users ask for; any recorded type may be named, these are the documented ones. */
export const NOTIFIABLE_EVENTS = ['HealthDegraded', 'SyncFailed', 'PreviewReady', 'RenderFailed', 'ClusterUnreachable'] as const;

export function wants(rule: NotificationRule, event: Pick<NotifiedEvent, 'type' | 'subject'>): boolean {
  if (!rule.events.includes(event.type) && !rule.events.includes('*')) return false;
  return !rule.subjectPrefix || event.subject.startsWith(rule.subjectPrefix);
}

const EMOJI: Record<string, string> = {
  HealthDegraded: ':red_circle:',
  SyncFailed: ':x:',
  RenderFailed: ':warning:',
  PreviewReady: ':rocket:',
  ClusterUnreachable: ':electric_plug:',
};

/** The HTTP body: the event as JSON for webhooks, `{text}` (mrkdwn) for Slack-style receivers. */
export function payloadFor(type: NotificationRule['type'], event: NotifiedEvent): Record<string, unknown> {
  if (type === 'webhook') return { source: 'flotilla', ...event };
  const icon = EMOJI[event.type] ?? ':information_source:';
  return { text: `${icon} *${event.type}* \`${event.subject}\`\n${event.message}` };
}
