import { createHash } from 'node:crypto';
import {
  ApiException,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1APIResource,
  VersionApi,
} from '@kubernetes/client-node';
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

/** Exposes the discovery cache that client-node's object API keeps per API version. */
class ObjectApi extends KubernetesObjectApi {
  resourceOf(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    return this.resource(apiVersion, kind);
  }

  forget(apiVersion?: string): void {
    if (apiVersion === undefined) this.apiVersionResourceCache = {};
    else delete this.apiVersionResourceCache[apiVersion];
  }
}

/** `KubeApi` over @kubernetes/client-node, with errors classified for the agent. */
export class KubeClient implements KubeApi {
  private readonly objects: ObjectApi;
  private readonly version: VersionApi;

  constructor(
    kubeConfig: KubeConfig,
    private readonly fieldManager = FIELD_MANAGER,
  ) {
    reuseConnections(kubeConfig);
    this.objects = kubeConfig.makeApiClient(ObjectApi);
    this.version = kubeConfig.makeApiClient(VersionApi);
  }

  async apply(object: KubeObject, options: ApplyOptions = {}): Promise<KubeObject> {
    return call(
      () =>
        this.objects.patch(
          object as KubernetesObject,
          undefined,
          options.dryRun ? 'All' : undefined,
          this.fieldManager,
          options.force ?? false,
          PatchStrategy.ServerSideApply,
        ) as Promise<KubeObject>,
      object,
    );
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return await call(() => this.objects.read(header(ref)) as Promise<KubeObject>, ref);
    } catch (error) {
      if (error instanceof KubeError && (error.reason === 'NotFound' || error.reason === 'UnknownKind')) return undefined;
      throw error;
    }
  }

  async list(apiVersion: string, kind: string, namespace: string, labelSelector: string): Promise<KubeObject[]> {
    const list = await call(
      () => this.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector),
      { apiVersion, kind, namespace, name: '' },
    );
    return list.items as KubeObject[];
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await call(() => this.objects.delete(header(ref), undefined, undefined, undefined, undefined, 'Background'), ref);
      return true;
    } catch (error) {
      if (error instanceof KubeError && (error.reason === 'NotFound' || error.reason === 'UnknownKind')) return false;
      throw error;
    }
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    try {
      const resource = await this.objects.resourceOf(apiVersion, kind);
      return resource?.namespaced;
    } catch (error) {
      // A group/version the server does not serve (yet): its CRD may still be on the way.
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw classify(error, { apiVersion, kind, name: '' });
    }
  }

  forgetDiscovery(apiVersion?: string): void {
    this.objects.forget(apiVersion);
  }

  async serverVersion(): Promise<string> {
    const info = await call(() => this.version.getCode(), { apiVersion: 'version', kind: 'Version', name: '' });
    return info.gitVersion;
  }
}

type DispatcherFactory = (cluster: { server?: string } | null, options: Record<string, unknown>) => unknown;

/**
 * client-node 2.0.1 builds a new connection pool (undici dispatcher) for every request, so
 * each request opens its own TLS connection: hundreds at once during an apply, and most of
 * the agent's CPU. One pool per cluster and client identity is what kubectl does.
 * Credentials in headers (tokens) are still applied per request; certificates are part of
 * the key, so a rotated client certificate gets a new pool.
 */
export function reuseConnections(kubeConfig: KubeConfig): void {
  const target = kubeConfig as unknown as { createDispatcher?: DispatcherFactory; flotillaPooled?: boolean };
  if (typeof target.createDispatcher !== 'function' || target.flotillaPooled) return;
  const create = target.createDispatcher.bind(kubeConfig);
  const pools = new Map<string, unknown>();
  target.createDispatcher = (cluster, options) => {
    const identity = createHash('sha256');
    for (const key of ['ca', 'cert', 'key', 'pfx', 'passphrase', 'servername', 'rejectUnauthorized'])
      identity.update(`${key}=${String(options[key] ?? '')};`);
    const key = `${cluster?.server ?? ''}|${identity.digest('hex')}`;
    let pool = pools.get(key);
    if (pool === undefined) {
      pool = create(cluster, options);
      pools.set(key, pool);
    }
    return pool;
  };
  target.flotillaPooled = true;
}

function header(ref: ObjectRef): { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
  };
}

async function call<T>(request: () => Promise<T>, ref: ObjectRef | KubeObject): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classify(error, ref);
  }
}

/** Describes an object the way kubectl does: `Kind namespace/name`. */
export function describeRef(ref: ObjectRef | KubeObject): string {
  const namespace = 'metadata' in ref ? ref.metadata.namespace : ref.namespace;
  const name = 'metadata' in ref ? ref.metadata.name : ref.name;
  return `${ref.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

function classify(error: unknown, ref: ObjectRef | KubeObject): KubeError {
  if (error instanceof KubeError) return error;
  const what = describeRef(ref);
  if (error instanceof ApiException) {
    const message = statusMessage(error.body) ?? error.message.split('\n')[0] ?? 'request failed';
    const status = error.code;
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
    return new KubeError(reason, `${what}: ${message}`, status);
  }
  const message = error instanceof Error ? error.message : String(error);
  // client-node's object API throws a plain Error when discovery does not know the kind.
  if (/Unrecognized API version and kind|Failed to fetch resource metadata/i.test(message))
    return new KubeError('UnknownKind', `${what}: the server does not serve ${ref.apiVersion} ${ref.kind}`);
  return new KubeError('Unavailable', `${what}: ${message}`);
}

function statusMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 500) || undefined;
    }
  }
  const message = (parsed as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}
