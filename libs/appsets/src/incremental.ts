import { type Application, type ClusterInfo, IN_CLUSTER_SERVER, type ParamSet, RenderError } from '#contracts';
import { createDefaultRegistry, type GeneratorRegistry, type GeneratorSources } from '#generators';
import { type RenderResult, renderApplicationSet } from './render.js';
import type { ApplicationSet } from './schema.js';

/**
 * Re-renders only what a cluster change touches. An ApplicationSet is *cluster-separable* when
 * each of its Applications comes from exactly one cluster (or from none): every generator entry
 * is a `clusters` generator, a matrix whose first child is one, or reads no clusters at all.
 * Then a changed cluster's Applications are exactly those rendered from it, and rendering the
 * cluster-reading entries with only the changed clusters as the source yields exactly its new
 * ones. Anything else (merge over clusters, a clusters generator nested deeper, flatList) is
 * rendered in full, which is always correct.
 */

type Entry = Record<string, unknown>;

function readsClusters(entry: unknown): boolean {
  if (entry === null || typeof entry !== 'object') return false;
  return Object.entries(entry).some(
    ([key, value]) =>
      key === 'clusters' ||
      ((key === 'matrix' || key === 'merge') && Array.isArray((value as { generators?: unknown[] })?.generators)
        ? ((value as { generators: unknown[] }).generators ?? []).some(readsClusters)
        : false),
  );
}

/** `clusters` itself, or a matrix whose first child is `clusters` and whose second reads none. */
function separableEntry(entry: Entry): boolean {
  if (!readsClusters(entry)) return true;
  const clusters = entry.clusters as { flatList?: boolean } | undefined;
  if (clusters) return clusters.flatList !== true && Object.keys(entry).every((key) => key === 'clusters' || key === 'selector');
  const matrix = entry.matrix as { generators?: Entry[] } | undefined;
  if (!matrix?.generators || Object.keys(entry).some((key) => key !== 'matrix' && key !== 'selector')) return false;
  const [first, second] = matrix.generators;
  const firstClusters = first?.clusters as { flatList?: boolean } | undefined;
  return (
    firstClusters !== undefined &&
    firstClusters.flatList !== true &&
    Object.keys(first ?? {}).every((key) => key === 'clusters' || key === 'selector') &&
    !readsClusters(second)
  );
}

export function isClusterSeparable(appSet: ApplicationSet): boolean {
  return (appSet.spec.generators as Entry[]).every(separableEntry);
}

interface Row {
  application: Application;
  params: ParamSet;
}

export interface ClusterChangeResult {
  /** Applications rendered by this change: exactly those of the changed clusters. */
  rendered: number;
  /** Applications that appeared or changed, and names of those that went away. */
  upserted: Application[];
  /** The generator parameters of each upserted Application (same order). */
  params: ParamSet[];
  removed: string[];
  /** False when the set is not cluster-separable (or the local cluster moved): it was rendered in full. */
  incremental: boolean;
}

/**
 * Holds one ApplicationSet's rendered output and keeps it current as clusters change,
 * re-rendering only the Applications of the clusters that changed.
 */
export class IncrementalRenderer {
  private readonly registry: GeneratorRegistry;
  private readonly separable: boolean;
  private readonly clusterEntries: number[];
  private clusters = new Map<string, ClusterInfo>();
  /** Rows by source cluster server; rows of cluster-independent entries under `undefined`. */
  private rowsByServer = new Map<string | undefined, Row[]>();
  private nameCounts = new Map<string, number>();
  /** Warnings of the last full render (invalid names, destinations), as renderApplicationSet gives them. */
  warnings: string[] = [];

  constructor(
    private readonly appSet: ApplicationSet,
    private readonly sources: Omit<GeneratorSources, 'clusters'>,
    registry?: GeneratorRegistry,
  ) {
    this.registry = registry ?? createDefaultRegistry();
    this.separable = isClusterSeparable(appSet);
    this.clusterEntries = (appSet.spec.generators as Entry[]).flatMap((entry, i) => (readsClusters(entry) ? [i] : []));
  }

  /** Renders everything for these clusters; returns how many Applications it rendered. */
  async renderAll(clusters: readonly ClusterInfo[]): Promise<number> {
    this.clusters = new Map(clusters.map((c) => [c.server, c]));
    const result = await this.render(this.appSet, [...this.clusters.values()]);
    this.warnings = result.warnings;
    this.rowsByServer = new Map();
    this.nameCounts = new Map();
    result.applications.forEach((application, i) => {
      const params = result.params[i] as ParamSet;
      const fromClusters = this.clusterEntries.includes(result.entries[i] as number);
      this.add(fromClusters ? String(params.server) : undefined, { application, params });
    });
    return result.applications.length;
  }

  /**
   * Clusters added, relabelled or removed (`removed`: servers). Atomic: on a render error
   * (a duplicate name, say) nothing changes and the error is thrown.
   */
  async clustersChanged(changed: readonly ClusterInfo[], removed: readonly string[] = []): Promise<ClusterChangeResult> {
    const servers = new Set([...changed.map((c) => c.server), ...removed]);
    if (!this.separable || servers.has(IN_CLUSTER_SERVER)) return this.full(changed, removed);
    const clusterSet: ApplicationSet = {
      ...this.appSet,
      spec: { ...this.appSet.spec, generators: this.clusterEntries.map((i) => this.appSet.spec.generators[i]) },
    } as ApplicationSet;
    const present = changed.filter((c) => !removed.includes(c.server));
    const result =
      present.length > 0 ? await this.render(clusterSet, present) : { applications: [], params: [], entries: [], warnings: [] };
    // The local cluster is added whenever no registered cluster is local: not ours to re-add here.
    const fresh: Array<[string, Row]> = [];
    result.applications.forEach((application, i) => {
      const server = String((result.params[i] as ParamSet).server);
      if (servers.has(server)) fresh.push([server, { application, params: result.params[i] as ParamSet }]);
    });
    // Name counts change only for the names these clusters had and now have: check on a delta.
    const delta = new Map<string, number>();
    const before = new Map<string, Application>();
    for (const server of servers) {
      for (const row of this.rowsByServer.get(server) ?? []) {
        const name = row.application.metadata.name;
        before.set(name, row.application);
        delta.set(name, (delta.get(name) ?? 0) - 1);
      }
    }
    for (const [, row] of fresh) {
      const name = row.application.metadata.name;
      delta.set(name, (delta.get(name) ?? 0) + 1);
      if ((this.nameCounts.get(name) ?? 0) + (delta.get(name) ?? 0) > 1) {
        throw new RenderError(
          'spec.template.metadata.name',
          `ApplicationSet ${this.appSet.metadata.name} generates more than one Application named "${name}"`,
        );
      }
    }
    // Commit.
    for (const server of servers) this.rowsByServer.delete(server);
    for (const server of removed) this.clusters.delete(server);
    for (const cluster of present) this.clusters.set(cluster.server, cluster);
    for (const [name, change] of delta) {
      const count = (this.nameCounts.get(name) ?? 0) + change;
      if (count > 0) this.nameCounts.set(name, count);
      else this.nameCounts.delete(name);
    }
    for (const [server, row] of fresh) this.rowsOf(server).push(row);
    const changedRows = fresh
      .map(([, row]) => row)
      .filter((row) => JSON.stringify(before.get(row.application.metadata.name)) !== JSON.stringify(row.application));
    const after = new Set(fresh.map(([, row]) => row.application.metadata.name));
    return {
      rendered: fresh.length,
      upserted: changedRows.map((row) => row.application),
      params: changedRows.map((row) => row.params),
      removed: [...before.keys()].filter((name) => !after.has(name)),
      incremental: true,
    };
  }

  /** Brings the output up to date with the fleet as it is now: only clusters that differ are re-rendered. */
  syncClusters(current: readonly ClusterInfo[]): Promise<ClusterChangeResult> {
    const now = new Map(current.map((c) => [c.server, c]));
    const changed = current.filter((c) => JSON.stringify(this.clusters.get(c.server)) !== JSON.stringify(c));
    const removed = [...this.clusters.keys()].filter((server) => !now.has(server));
    return this.clustersChanged(changed, removed);
  }

  /** How many Applications it holds. */
  size(): number {
    let total = 0;
    for (const rows of this.rowsByServer.values()) total += rows.length;
    return total;
  }

  /** Every Application with the parameters it was rendered from. */
  rows(): ReadonlyArray<{ application: Application; params: ParamSet }> {
    return [...this.rowsByServer.values()].flat();
  }

  /** The current Applications, cluster-independent ones first. */
  applications(): Application[] {
    return [...this.rowsByServer.values()].flatMap((rows) => rows.map((row) => row.application));
  }

  private async full(changed: readonly ClusterInfo[], removed: readonly string[]): Promise<ClusterChangeResult> {
    const before = new Map(this.applications().map((app) => [app.metadata.name, app]));
    const clusters = new Map(this.clusters);
    for (const server of removed) clusters.delete(server);
    for (const cluster of changed) if (!removed.includes(cluster.server)) clusters.set(cluster.server, cluster);
    const rendered = await this.renderAll([...clusters.values()]);
    const now = this.rows();
    const names = new Set(now.map((row) => row.application.metadata.name));
    const changedRows = now.filter((row) => JSON.stringify(before.get(row.application.metadata.name)) !== JSON.stringify(row.application));
    return {
      rendered,
      upserted: changedRows.map((row) => row.application),
      params: changedRows.map((row) => row.params),
      removed: [...before.keys()].filter((name) => !names.has(name)),
      incremental: false,
    };
  }

  private rowsOf(server: string | undefined): Row[] {
    let rows = this.rowsByServer.get(server);
    if (!rows) {
      rows = [];
      this.rowsByServer.set(server, rows);
    }
    return rows;
  }

  private add(server: string | undefined, row: Row): void {
    this.rowsOf(server).push(row);
    this.nameCounts.set(row.application.metadata.name, (this.nameCounts.get(row.application.metadata.name) ?? 0) + 1);
  }

  private render(appSet: ApplicationSet, clusters: ClusterInfo[]): Promise<RenderResult> {
    return renderApplicationSet(appSet, {
      registry: this.registry,
      sources: { ...this.sources, clusters: { listClusters: async () => clusters } },
    });
  }
}
