import type { KubeObject, SourceKind } from '#sources';

/** The cluster a plan is for. */
export interface PlanCluster {
  name: string;
  server: string;
}

/** One source of a planned Application, pinned to what it resolved to. */
export interface PlannedSource {
  repoURL: string;
  targetRevision: string;
  /** The commit SHA for git sources; the chart version for charts from a Helm repository. */
  commit: string;
  path?: string;
  chart?: string;
  ref?: string;
  kind?: SourceKind;
}

/** What the agent needs to know about how to sync (Argo CD's syncPolicy, as given). */
export interface PlannedSyncPolicy {
  automated?: { prune?: boolean; selfHeal?: boolean; allowEmpty?: boolean };
  syncOptions?: string[];
}

export interface PlannedApplication {
  name: string;
  /** The ApplicationSet that generated it. */
  applicationSet: string;
  project: string;
  /** The destination namespace: namespaced objects without one are put there. */
  namespace: string;
  /** The first rendered source's commit (see `sources` for all of them). */
  commit: string;
  sources: PlannedSource[];
  syncPolicy: PlannedSyncPolicy;
  /** The fully rendered objects, in apply order. Absent when `error` is set. */
  objects?: KubeObject[];
  /** Why this Application could not be planned; the rest of the plan is unaffected. */
  error?: string;
}

/** Desired state of one cluster: every Application it must run, fully rendered. */
export interface Plan {
  cluster: PlanCluster;
  /** Content hash of cluster and applications: equal hashes mean an identical plan. */
  hash: string;
  applications: PlannedApplication[];
}
