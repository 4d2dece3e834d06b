import { LRUCache } from 'lru-cache';
import pLimit from 'p-limit';
import { type Application, type ClusterInfo, FlotillaError } from '#contracts';
import type { GitSource } from '#generators';
import type { ApplicationSource, GitCheckouts, KubeObject, RenderSourceInput, SourceKind, SourceRenderService } from '#sources';
import { type Destination, destinationResolver } from './destinations.js';
import { hashedPlan } from './hash.js';
import { objectKey } from './object-order.js';
import type { Plan, PlannedApplication, PlannedSource, PlannedSyncPolicy } from './plan.js';
import { prepareObjects } from './prepare.js';
import { ResourceScopes } from './scope.js';

export interface PlannerPorts {
  git: GitSource;
  checkouts: GitCheckouts;
  renderer: SourceRenderService;
}

export interface PlannerOptions {
  /** Renders (helm, kustomize) running at once. */
  concurrency?: number;
  /** Distinct rendered inputs kept in memory between planning runs. */
  cacheEntries?: number;
}

/** One generated Application and the ApplicationSet it came from. */
export interface PlanInput {
  application: Application;
  applicationSet: string;
}

export interface PlannerStats {
  /** Sources asked for, one per rendered source of every Application. */
  sourcesRequested: number;
  /** Renders actually run: one per distinct input. */
  rendersExecuted: number;
}

interface ResolvedSource {
  source: ApplicationSource;
  planned: PlannedSource;
  checkout?: string;
}

/**
 * Turns generated Applications into one plan per destination cluster: resolves every
 * source to a commit, renders it once per distinct input (content-addressed cache), and
 * prepares the objects. A failing Application carries its error; the others are unaffected.
 */
export class Planner {
  private readonly renders: LRUCache<string, Promise<KubeObject[]>>;
  private readonly kinds: LRUCache<string, Promise<SourceKind>>;
  private readonly limit: ReturnType<typeof pLimit>;
  readonly stats: PlannerStats = { sourcesRequested: 0, rendersExecuted: 0 };

  constructor(
    private readonly ports: PlannerPorts,
    options: PlannerOptions = {},
  ) {
    this.renders = new LRUCache({ max: options.cacheEntries ?? 5_000 });
    this.kinds = new LRUCache({ max: 50_000 });
    this.limit = pLimit(options.concurrency ?? 4);
  }

  async plan(inputs: readonly PlanInput[], clusters: readonly ClusterInfo[]): Promise<Plan[]> {
    // Branches move: revisions are resolved afresh for every planning run, once per run.
    const revisions = new Map<string, Promise<string>>();
    const byCluster = new Map<
      string,
      { cluster: { name: string; server: string }; info?: ClusterInfo; apps: Promise<PlannedApplication>[] }
    >();
    const sorted = [...inputs].sort((a, b) => compare(a.application.metadata.name, b.application.metadata.name));
    const resolve = destinationResolver(clusters);
    for (const input of sorted) {
      const match = resolve(input.application.spec.destination as Destination | undefined);
      const key = `${match.cluster.name}\0${match.cluster.server}`;
      let entry = byCluster.get(key);
      if (!entry) {
        entry = { cluster: { name: match.cluster.name, server: match.cluster.server }, apps: [] };
        if (!('error' in match)) entry.info = match.cluster;
        byCluster.set(key, entry);
      }
      const info = entry.info;
      entry.apps.push('error' in match ? Promise.resolve(failed(input, match.error)) : this.planApplication(input, info, revisions));
    }
    const plans: Plan[] = [];
    for (const { cluster, apps } of byCluster.values()) {
      const applications = withoutSharedObjects(await Promise.all(apps));
      plans.push(hashedPlan(cluster, applications));
    }
    return plans.sort((a, b) => compare(a.cluster.name, b.cluster.name) || compare(a.cluster.server, b.cluster.server));
  }

  private async planApplication(
    input: PlanInput,
    cluster: ClusterInfo | undefined,
    revisions: Map<string, Promise<string>>,
  ): Promise<PlannedApplication> {
    const { application } = input;
    const base = plannedBase(input);
    try {
      const sources = applicationSources(application);
      const resolved = await Promise.all(sources.map((source) => this.resolveSource(source, revisions)));
      const refs = new Map(resolved.filter((r) => r.source.ref && r.checkout).map((r) => [r.source.ref as string, r.checkout as string]));
      const rendered: KubeObject[] = [];
      for (const r of resolved) {
        if (isRefOnly(r.source)) continue;
        const renderInput: RenderSourceInput = {
          appName: application.metadata.name,
          source: r.source,
          refs,
          revision: r.planned.commit,
          project: base.project,
          ...(r.checkout ? { checkout: r.checkout } : {}),
          ...(base.namespace ? { namespace: base.namespace } : {}),
          ...(cluster?.kubeVersion ? { kubeVersion: cluster.kubeVersion } : {}),
          ...(cluster?.apiVersions ? { apiVersions: cluster.apiVersions } : {}),
        };
        const kind = await this.detectKind(renderInput, r);
        r.planned.kind = kind;
        rendered.push(...(await this.render(kind, renderInput, r, resolved)));
      }
      const scopes = new ResourceScopes().learnFrom(rendered);
      const objects = prepareObjects(rendered, {
        application: application.metadata.name,
        applicationSet: input.applicationSet,
        namespace: base.namespace,
        scopes,
      });
      const commit = resolved.find((r) => !isRefOnly(r.source))?.planned.commit ?? '';
      return { ...base, commit, sources: resolved.map((r) => r.planned), objects };
    } catch (error) {
      if (error instanceof FlotillaError || error instanceof Error) return { ...base, error: error.message };
      throw error;
    }
  }

  private async resolveSource(source: ApplicationSource, revisions: Map<string, Promise<string>>): Promise<ResolvedSource> {
    const targetRevision = source.targetRevision ?? (source.chart ? '' : 'HEAD');
    const planned: PlannedSource = { repoURL: source.repoURL, targetRevision, commit: targetRevision };
    if (source.path !== undefined) planned.path = source.path;
    if (source.chart !== undefined) planned.chart = source.chart;
    if (source.ref !== undefined) planned.ref = source.ref;
    // A chart from a Helm repository has no commit: its version pins it.
    if (source.chart !== undefined) return { source, planned };
    const key = `${source.repoURL}\0${targetRevision}`;
    let commit = revisions.get(key);
    if (!commit) {
      commit = this.ports.git.resolveRevision(source.repoURL, targetRevision);
      revisions.set(key, commit);
    }
    planned.commit = await commit;
    return { source, planned, checkout: await this.ports.checkouts.checkout(source.repoURL, planned.commit) };
  }

  /**
   * A source's kind depends only on its options and the files at its commit, both immutable:
   * detect it once (detection reads the checkout) and remember it.
   */
  private detectKind(input: RenderSourceInput, resolved: ResolvedSource): Promise<SourceKind> {
    const key = JSON.stringify([input.source.repoURL, resolved.planned.commit, input.source]);
    let kind = this.kinds.get(key);
    if (!kind) {
      kind = this.ports.renderer.detectKind(input);
      kind.catch(() => this.kinds.delete(key));
      this.kinds.set(key, kind);
    }
    return kind;
  }

  /** Renders once per distinct input: same source, commit, options and (for Helm) release facts. */
  private render(kind: SourceKind, input: RenderSourceInput, resolved: ResolvedSource, all: ResolvedSource[]): Promise<KubeObject[]> {
    this.stats.sourcesRequested++;
    const { source } = input;
    // The key is built here in a fixed shape, so plain JSON identifies it (no canonicalisation needed).
    const key = JSON.stringify([
      kind,
      source.repoURL,
      resolved.planned.commit,
      source.path ?? null,
      source.chart ?? null,
      source.helm ?? null,
      source.kustomize ?? null,
      source.directory ?? null,
      all.filter((r) => r.source.ref).map((r) => [r.source.ref, r.source.repoURL, r.planned.commit]),
      // Argo CD's build variables ($ARGOCD_APP_NAME, ...) make the output depend on the Application itself.
      BUILD_VARIABLE.test(JSON.stringify(source))
        ? [input.appName, input.project ?? null, input.namespace ?? null, input.kubeVersion ?? null, input.apiVersions ?? null]
        : null,
      kind === 'helm'
        ? [
            (source.helm?.releaseName as string | undefined) ?? input.appName,
            input.namespace ?? null,
            input.kubeVersion ?? null,
            input.apiVersions ?? null,
          ]
        : null,
    ]);
    let objects = this.renders.get(key);
    if (!objects) {
      this.stats.rendersExecuted++;
      objects = this.limit(() => this.ports.renderer.render(input).then((r) => r.objects));
      // A failed render is not cached: the next run tries again.
      objects.catch(() => this.renders.delete(key));
      this.renders.set(key, objects);
    }
    return objects;
  }
}

function applicationSources(application: Application): ApplicationSource[] {
  const spec = application.spec as { source?: ApplicationSource; sources?: ApplicationSource[] };
  const sources = spec.sources?.length ? spec.sources : spec.source ? [spec.source] : [];
  if (sources.length === 0) throw new Error('spec.source: the Application has no source');
  sources.forEach((s, i) => {
    if (!s.repoURL) throw new Error(`${spec.sources?.length ? `spec.sources[${i}]` : 'spec.source'}.repoURL: is required`);
  });
  return sources;
}

const BUILD_VARIABLE = /\$\{?(ARGOCD_|KUBE_)/;

const isRefOnly = (source: ApplicationSource): boolean =>
  source.ref !== undefined && source.path === undefined && source.chart === undefined;

function plannedBase(input: PlanInput): PlannedApplication {
  const spec = input.application.spec as { project?: string; destination?: Destination; syncPolicy?: PlannedSyncPolicy };
  const syncPolicy: PlannedSyncPolicy = {};
  if (spec.syncPolicy?.automated) syncPolicy.automated = spec.syncPolicy.automated;
  if (spec.syncPolicy?.syncOptions) syncPolicy.syncOptions = spec.syncPolicy.syncOptions;
  return {
    name: input.application.metadata.name,
    applicationSet: input.applicationSet,
    project: spec.project || 'default',
    namespace: spec.destination?.namespace ?? '',
    commit: '',
    sources: [],
    syncPolicy,
  };
}

function failed(input: PlanInput, error: string): PlannedApplication {
  return { ...plannedBase(input), error };
}

/** Two Applications must not manage the same object: the later one (by name) fails. */
function withoutSharedObjects(applications: PlannedApplication[]): PlannedApplication[] {
  const owners = new Map<string, string>();
  return applications.map((app) => {
    if (!app.objects) return app;
    const clash = app.objects.map(objectKey).find((key) => owners.has(key));
    if (clash) {
      const { objects: _dropped, ...rest } = app;
      return { ...rest, error: `object ${clash} is already managed by Application ${owners.get(clash)}` };
    }
    for (const key of app.objects.map(objectKey)) owners.set(key, app.name);
    return app;
  });
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
