import http from 'node:http';
import https from 'node:https';
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

interface HubResponse {
  status: number;
  json(): unknown;
}

/**
 * The agent gateway (`/agent/v1`) over HTTPS: every call has a timeout. Node's `http`/`https`
 * rather than `fetch`: fetch loads a second HTTP stack (undici, with its WebAssembly parser)
 * that costs the agent's idle memory several MiB and needs WebAssembly (no `--jitless`).
 * Connections are kept alive between calls.
 */
export class HubClient {
  credential: string | undefined;
  private readonly pool: http.Agent;

  /** `stop` aborts every call in flight (a long-poll included). */
  constructor(
    private readonly baseUrl: string,
    private readonly stop: AbortSignal = new AbortController().signal,
  ) {
    const options = { keepAlive: true, keepAliveMsecs: 30_000 };
    this.pool = baseUrl.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
  }

  async register(bootstrapToken: string): Promise<RegisterResponse> {
    const response = await this.request('POST', '/agent/v1/register', { bootstrapToken }, 15_000, false);
    return response.json() as RegisterResponse;
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
    const body = response.json() as PlanRevisionResponse;
    return { revision: body.revision, hash: body.hash, plan: body.plan as Plan };
  }

  async report(report: StatusReport): Promise<void> {
    await this.request('POST', '/agent/v1/status', report, 30_000);
  }

  async heartbeat(beat: Heartbeat): Promise<void> {
    await this.request('POST', '/agent/v1/heartbeat', beat, 15_000);
  }

  private async request(method: string, path: string, body: unknown, timeoutMs: number, authenticated = true): Promise<HubResponse> {
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (authenticated) {
      if (!this.credential) throw new HubError(401, 'no agent credential yet');
      headers.authorization = `Bearer ${this.credential}`;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const url = new URL(`${this.baseUrl}${path}`);
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.stop]);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? https.request : http.request)(url, { method, headers, agent: this.pool, signal });
      request.on('error', (error) => reject(signal.aborted && signal.reason instanceof Error ? signal.reason : error));
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      request.end(payload);
    });
    if (status >= 400) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new HubError(status, `${method} ${path}: ${status} ${message}`);
    }
    return { status, json: () => JSON.parse(text) };
  }
}
