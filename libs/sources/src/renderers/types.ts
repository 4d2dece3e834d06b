/**
 * The contract between the planner (libs/plans) and source renderers: an Application
 * source at an exact commit in, plain Kubernetes objects out.
 */

/** A Kubernetes object as rendered from a source: at least apiVersion, kind and a name. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One entry of an Application's `source` / `sources`, as Argo CD spells it. */
export interface ApplicationSource {
  repoURL: string;
  targetRevision?: string;
  path?: string;
  chart?: string;
  ref?: string;
  name?: string;
  helm?: Record<string, unknown>;
  kustomize?: Record<string, unknown>;
  directory?: Record<string, unknown>;
  plugin?: Record<string, unknown>;
}

export type SourceKind = 'directory' | 'kustomize' | 'helm';

export interface RenderSourceInput {
  /** The Application's name: Helm's default release name. */
  appName: string;
  source: ApplicationSource;
  /** The checkout of `source.repoURL` at the resolved commit; absent for charts from a Helm repository. */
  checkout?: string;
  /** Checkouts of the Application's other sources by their `ref`, for `$ref/path` value files. */
  refs: ReadonlyMap<string, string>;
  /** The destination namespace: Helm's `--namespace`, kustomize's default. */
  namespace?: string;
  /** The resolved commit (or chart version): `$ARGOCD_APP_REVISION` in Helm parameters and kustomize fields. */
  revision?: string;
  /** The Application's project: `$ARGOCD_APP_PROJECT_NAME`. */
  project?: string;
  /** Target cluster facts, when known, for `helm template --kube-version/--api-versions`. */
  kubeVersion?: string;
  apiVersions?: readonly string[];
}

/** Renders one kind of source. One file per kind, registered in one list. */
export interface SourceRenderer {
  readonly kind: SourceKind;
  render(input: RenderSourceInput): Promise<KubeObject[]>;
}

/** Turns a source into objects: picks the renderer (explicit block, or detection as Argo CD does) and runs it. */
export interface SourceRenderService {
  /** Which kind a source is, without rendering it. */
  detectKind(input: RenderSourceInput): Promise<SourceKind>;
  render(input: RenderSourceInput): Promise<{ kind: SourceKind; objects: KubeObject[] }>;
}

/** Checkouts of repositories at exact commits, shared by concurrent renders of the same commit. */
export interface GitCheckouts {
  /** A directory holding the repository's tree at `commit`; callers must not modify it. */
  checkout(repoURL: string, commit: string): Promise<string>;
}
