import { EXIT } from '../exit-codes.js';
import type { HubContext } from './config.js';
import { HubClientError } from './errors.js';

/** Exit codes beyond the common ones: the hub could not be reached, or refused the token. */
export const CLIENT_EXIT = { unreachable: 3, unauthorized: 4, notFound: 5 } as const;

/** The admin API of one hub, with errors a person can act on (never a stack trace). */
export class HubApi {
  constructor(
    private readonly context: HubContext,
    private readonly timeoutMs = 30_000,
  ) {}

  async get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  async put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  async delete(path: string): Promise<void> {
    await this.request('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.context.hub.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.context.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const why =
        error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message);
      throw new HubClientError(`cannot reach the hub at ${this.context.hub}: ${why}`, CLIENT_EXIT.unreachable);
    }
    const text = await response.text();
    if (response.status === 401)
      throw new HubClientError(
        `the hub refused the token of context "${this.context.name}" (expired or revoked?): run \`flotilla login\``,
        CLIENT_EXIT.unauthorized,
      );
    if (response.status >= 400) {
      let message = text.slice(0, 500);
      try {
        const parsed = JSON.parse(text) as { message?: unknown; errors?: unknown };
        message = Array.isArray(parsed.message) ? parsed.message.join('; ') : String(parsed.message ?? message);
      } catch {
        // not JSON: the text as it came
      }
      const code = response.status === 404 ? CLIENT_EXIT.notFound : response.status === 403 ? CLIENT_EXIT.unauthorized : EXIT.failed;
      throw new HubClientError(`${method} ${path}: ${response.status} ${message}`, code);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}
