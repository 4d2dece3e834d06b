import type { Heartbeat, PlanRevisionResponse, RegisterResponse, StatusReport } from '#contracts';
import type { Plan } from '#plans';

/** The hub answered, but not with what the agent asked for. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

export interface PlanRevision {
  revision: number;
  hash: string;
  plan: Plan;
}

/** The agent gateway (`/agent/v1`) over HTTPS: every call has a timeout. */
export class HubClient {
  credential: string | undefined;

  /** `stop` aborts every call in flight (a long-poll included). */
  constructor(
    private readonly baseUrl: string,
    private readonly stop: AbortSignal = new AbortController().signal,
  ) {}

  async register(bootstrapToken: string): Promise<RegisterResponse> {
    const response = await this.request('POST', '/agent/v1/register', { bootstrapToken }, 15_000, false);
    return (await response.json()) as RegisterResponse;
  }

  /** The newest revision after `after`, waiting up to `waitSeconds`; undefined when none came. */
  async nextPlan(after: number, waitSeconds: number): Promise<PlanRevision | undefined> {
    const response = await this.request(
      'GET',
      `/agent/v1/plan?after=${after}&waitSeconds=${waitSeconds}`,
      undefined,
      (waitSeconds + 15) * 1000,
    );
    if (response.status === 204) return undefined;
    const body = (await response.json()) as PlanRevisionResponse;
    return { revision: body.revision, hash: body.hash, plan: body.plan as Plan };
  }

  async report(report: StatusReport): Promise<void> {
    await this.request('POST', '/agent/v1/status', report, 30_000);
  }

  async heartbeat(beat: Heartbeat): Promise<void> {
    await this.request('POST', '/agent/v1/heartbeat', beat, 15_000);
  }

  private async request(method: string, path: string, body: unknown, timeoutMs: number, authenticated = true): Promise<Response> {
    const headers: Record<string, string> = {};
    if (authenticated) {
      if (!this.credential) throw new HubError(401, 'no agent credential yet');
      headers.authorization = `Bearer ${this.credential}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stop]),
    });
    if (response.status >= 400) {
      const text = await response.text().catch(() => '');
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new HubError(response.status, `${method} ${path}: ${response.status} ${message}`);
    }
    return response;
  }
}
