import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
// Types only: the agent's build loads client-node's KubeConfig and nothing of its API clients.
import type { KubeConfig } from '@kubernetes/client-node';
import { FIELD_MANAGER } from '#contracts';
import type { KubeObject } from '#sources';

/** Identifies one object in a cluster. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Why a request failed, in the terms the agent acts on. */
export type KubeErrorReason = 'Conflict' | 'Forbidden' | 'NotFound' | 'Invalid' | 'UnknownKind' | 'Throttled' | 'Unavailable' | 'Other';

export class KubeError extends Error {
  constructor(
    readonly reason: KubeErrorReason,
    message: string,
    readonly status?: number,
    /** How long the server asked to wait before trying again (`Retry-After`). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  /** Worth trying again after a pause: throttling, server trouble, a dropped connection. */
  get retryable(): boolean {
    return this.reason === 'Throttled' || this.reason === 'Unavailable';
  }
}

export interface ApplyOptions {
  /** Take over fields another field manager owns (otherwise that is a Conflict). */
  force?: boolean;
  /** Let the server compute the result without storing it. */
  dryRun?: boolean;
}

/** What the agent needs of a cluster's API; `KubeClient` is the real one. */
export interface KubeApi {
  /** Server-side apply with Flotilla's field manager; `force` takes over fields other managers own. */
  apply(object: KubeObject, options?: ApplyOptions): Promise<KubeObject>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Objects of a kind in one namespace matching a label selector. */
  list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]>;
  /** Deletes in the background (dependents are garbage-collected); true when it existed. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** Whether the kind is namespaced; undefined when the API server does not serve it. */
  isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined>;
  /** Forget what discovery knew of an API version (after CRDs change). */
  forgetDiscovery(apiVersion?: string): void;
  serverVersion(): Promise<string>;
}

/** One entry of an API server's discovery document (`GET /api/v1`, `/apis/<group>/<version>`). */
interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export interface KubeClientOptions {
  /** Field manager of server-side apply. */
  fieldManager?: string;
  /** A request with no answer for this long fails as `Unavailable` (retryable). */
  requestTimeoutMs?: number;
}

/** Options `KubeConfig.applyToHTTPSOptions` fills in: TLS material, headers (Authorization), and its own agent. */
type AuthOptions = https.RequestOptions;

const TLS_IDENTITY = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'] as const;

/**
 * `KubeApi` over the API server's REST interface, with Node's own HTTP client: the agent
 * makes a handful of calls (server-side apply, get, list, delete, discovery, version), so
 * it does not load @kubernetes/client-node's generated API clients and models (about 60
 * MiB of a 130 MiB agent). @kubernetes/client-node's `KubeConfig` stays the source of the
 * cluster address, TLS and credentials (certificates, tokens, exec plugins, in-cluster
 * service account): it is asked for them on every request, so rotated credentials apply.
 *
 * One keep-alive connection pool per cluster and client identity (as kubectl): requests
 * reuse TLS connections instead of opening one each. Failures are `KubeError`s classified
 * for the agent; a throttled request's `Retry-After` is passed on (`retryAfterMs`).
 */
export class KubeClient implements KubeApi {
  private readonly fieldManager: string;
  private readonly requestTimeoutMs: number;
  /** Discovery per API version; a kind it does not list is looked up again (its CRD may be new). */
  private readonly resources = new Map<string, ApiResource[]>();
  private readonly discovering = new Map<string, Promise<ApiResource[]>>();
  private readonly pools = new Map<string, http.Agent>();

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubeClientOptions | string = {},
  ) {
    const { fieldManager = FIELD_MANAGER, requestTimeoutMs = 60_000 } = typeof options === 'string' ? { fieldManager: options } : options;
    this.fieldManager = fieldManager;
    this.requestTimeoutMs = requestTimeoutMs;
  }

  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    const path = await this.objectPath(object.apiVersion, object.kind, object.metadata.namespace, object.metadata.name, object);
    const query = new URLSearchParams({ fieldManager: this.fieldManager });
    if (options.force) query.set('force', 'true');
    if (options.dryRun) query.set('dryRun', 'All');
    // Server-side apply takes YAML, and JSON is YAML.
    return (await this.request('PATCH', path, object, {
      query,
      body: JSON.stringify(object),
      contentType: 'application/apply-patch+yaml',
    })) as KubeObject;
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return (await this.request('GET', await this.objectPath(ref.apiVersion, ref.kind, ref.namespace, ref.name, ref), ref)) as KubeObject;
    } catch (error) {
      if (error instanceof KubeError && (error.reason === 'NotFound' || error.reason === 'UnknownKind')) return undefined;
      throw error;
    }
  }

  async list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]> {
    const ref = { apiVersion, kind, namespace, name: '' };
    const path = await this.objectPath(apiVersion, kind, namespace, undefined, ref);
    const list = (await this.request('GET', path, ref, { query: new URLSearchParams({ labelSelector }) })) as { items?: KubeObject[] };
    return list.items ?? [];
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      const path = await this.objectPath(ref.apiVersion, ref.kind, ref.namespace, ref.name, ref);
      await this.request('DELETE', path, ref, { query: new URLSearchParams({ propagationPolicy: 'Background' }) });
      return true;
    } catch (error) {
      if (error instanceof KubeError && (error.reason === 'NotFound' || error.reason === 'UnknownKind')) return false;
      throw error;
    }
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    try {
      return (await this.resource(apiVersion, kind))?.namespaced;
    } catch (error) {
      // A group/version the server does not serve (yet): its CRD may still be on the way.
      if (error instanceof KubeError && error.status === 404) return undefined;
      throw error;
    }
  }

  forgetDiscovery(apiVersion?: string): void {
    if (apiVersion === undefined) this.resources.clear();
    else this.resources.delete(apiVersion);
  }

  async serverVersion(): Promise<string> {
    const info = (await this.request('GET', '/version', { apiVersion: 'version', kind: 'Version', name: '' })) as { gitVersion?: string };
    return info.gitVersion ?? '';
  }

  /** Closes the pooled connections (a client that is not used any more). */
  close(): void {
    for (const pool of this.pools.values()) pool.destroy();
    this.pools.clear();
  }

  /** The discovery entry of a kind (not of a subresource); undefined when its API version does not list it. */
  private async resource(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const find = (list: ApiResource[] | undefined) => list?.find((r) => r.kind === kind && !r.name.includes('/'));
    return find(this.resources.get(apiVersion)) ?? find(await this.discover(apiVersion));
  }

  /** One discovery request per API version at a time, however many objects wait for it. */
  private discover(apiVersion: string): Promise<ApiResource[]> {
    let pending = this.discovering.get(apiVersion);
    if (pending === undefined) {
      const ref = { apiVersion, kind: 'APIResourceList', name: '' };
      pending = this.request('GET', apiVersionPath(apiVersion), ref)
        .then((list) => {
          const resources = (list as { resources?: ApiResource[] }).resources ?? [];
          this.resources.set(apiVersion, resources);
          return resources;
        })
        .finally(() => this.discovering.delete(apiVersion));
      this.discovering.set(apiVersion, pending);
    }
    return pending;
  }

  /** `/api/v1/namespaces/apps/configmaps/name`, as discovery says (namespaced or not, plural). */
  private async objectPath(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string | undefined,
    ref: ObjectRef | KubeObject,
  ): Promise<string> {
    const resource = await this.resource(apiVersion, kind).catch((error: unknown) => {
      // A group/version the server does not serve: its kinds are unknown, not missing objects.
      if (error instanceof KubeError && error.status === 404) return undefined;
      if (error instanceof KubeError)
        throw new KubeError(
          error.reason,
          `${describeRef(ref)}: discovery of ${apiVersion}: ${error.message}`,
          error.status,
          error.retryAfterMs,
        );
      throw classify(error, ref);
    });
    if (!resource) throw new KubeError('UnknownKind', `${describeRef(ref)}: the server does not serve ${apiVersion} ${kind}`);
    let path = apiVersionPath(apiVersion);
    if (resource.namespaced) {
      const ns =
        namespace ||
        (name === undefined ? undefined : (this.kubeConfig.getContextObject(this.kubeConfig.getCurrentContext())?.namespace ?? 'default'));
      if (ns) path += `/namespaces/${encodeURIComponent(ns)}`;
    }
    path += `/${resource.name}`;
    if (name !== undefined) path += `/${encodeURIComponent(name)}`;
    return path;
  }

  /** One request: credentials from the kubeconfig, a pooled connection, the answer's JSON or a classified error. */
  private async request(
    method: string,
    path: string,
    ref: ObjectRef | KubeObject,
    options: { query?: URLSearchParams; body?: string; contentType?: string } = {},
  ): Promise<unknown> {
    let status: number;
    let headers: http.IncomingHttpHeaders;
    let text: string;
    try {
      ({ status, headers, text } = await this.send(method, path, options));
    } catch (error) {
      throw classify(error, ref);
    }
    if (status >= 200 && status < 300) {
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        throw new KubeError('Other', `${describeRef(ref)}: the API server answered ${status} with a body that is not JSON`, status);
      }
    }
    throw statusError(status, headers, text, ref);
  }

  private async send(
    method: string,
    path: string,
    options: { query?: URLSearchParams; body?: string; contentType?: string },
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const auth: AuthOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(auth);
    const query = options.query?.size ? `?${options.query}` : '';
    const url = new URL(`${cluster.server.replace(/\/+$/, '')}${path}${query}`);
    const headers: http.OutgoingHttpHeaders = {
      ...(auth.headers as http.OutgoingHttpHeaders | undefined),
      accept: 'application/json',
      'user-agent': USER_AGENT,
    };
    if (options.body !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const secure = url.protocol === 'https:';
    // Through a proxy (the kubeconfig's proxy-url), client-node's own agent knows the way.
    const agent = cluster.proxyUrl ? auth.agent : this.pool(cluster.server, secure, auth);
    const request = (secure ? https.request : http.request)(url, {
      method,
      headers,
      agent,
      ...(auth.auth ? { auth: auth.auth } : {}),
      timeout: this.requestTimeoutMs,
    });
    return new Promise((resolve, reject) => {
      request.on('timeout', () => request.destroy(new Error(`no answer within ${this.requestTimeoutMs / 1000} s`)));
      request.on('error', reject);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
      });
      request.end(options.body);
    });
  }

  /**
   * The keep-alive pool of a cluster and client identity. Credentials in headers (tokens)
   * are applied per request; certificates are part of the key, so a rotated client
   * certificate gets a new pool.
   */
  private pool(server: string, secure: boolean, auth: AuthOptions): http.Agent {
    const identity = createHash('sha256');
    for (const key of TLS_IDENTITY) identity.update(`${key}=${String(auth[key] ?? '')};`);
    const key = `${server}|${identity.digest('hex')}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const tls: https.AgentOptions = {};
      for (const option of TLS_IDENTITY) if (auth[option] !== undefined) Object.assign(tls, { [option]: auth[option] });
      // Idle connections close after a minute; 30 s TCP keep-alive probes, as client-go.
      const keepAlive = { keepAlive: true, keepAliveMsecs: 30_000, timeout: 60_000, scheduling: 'lifo' as const };
      pool = secure ? new https.Agent({ ...keepAlive, ...tls }) : new http.Agent(keepAlive);
      this.pools.set(key, pool);
    }
    return pool;
  }
}

const USER_AGENT = 'flotilla-agent';

function apiVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** Describes an object the way kubectl does: `Kind namespace/name`. */
export function describeRef(ref: ObjectRef | KubeObject): string {
  const namespace = 'metadata' in ref ? ref.metadata.namespace : ref.namespace;
  const name = 'metadata' in ref ? ref.metadata.name : ref.name;
  return `${ref.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** Anything thrown on the way (connection refused or reset, timeout, credentials): worth another try. */
function classify(error: unknown, ref: ObjectRef | KubeObject): KubeError {
  if (error instanceof KubeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KubeError('Unavailable', `${describeRef(ref)}: ${message}`);
}

/** An answer that is not 2xx, in the agent's terms; the API server's `Status` message when it sent one. */
function statusError(status: number, headers: http.IncomingHttpHeaders, text: string, ref: ObjectRef | KubeObject): KubeError {
  const reason: KubeErrorReason =
    status === 409
      ? 'Conflict'
      : status === 403
        ? 'Forbidden'
        : status === 404
          ? 'NotFound'
          : status === 422 || status === 400
            ? 'Invalid'
            : status === 429
              ? 'Throttled'
              : status >= 500
                ? 'Unavailable'
                : 'Other';
  const message = statusMessage(text) ?? `${status} ${http.STATUS_CODES[status] ?? ''}`.trim();
  return new KubeError(reason, `${describeRef(ref)}: ${message}`, status, retryAfter(headers['retry-after']));
}

/** `Retry-After` in seconds (what the API server sends) or as an HTTP date. */
export function retryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function statusMessage(text: string): string | undefined {
  try {
    const message = (JSON.parse(text) as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return text.trim().slice(0, 500) || undefined;
  }
}
