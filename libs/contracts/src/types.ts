/** Types shared by the hub, the agent and the CLI. Plain data only: no behaviour. */

/** Any JSON value, as ApplicationSet fields and generated params are. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * One parameter set produced by a generator.
 * Argo CD fasttemplate ApplicationSets use flat maps (`path.basename` is one key);
 * Handlebars (and Go template) ApplicationSets use nested objects.
 */
export type ParamSet = Record<string, unknown>;

/** A cluster as the cluster generator sees it: what Argo CD keeps in a cluster secret. */
export interface ClusterInfo {
  name: string;
  server: string;
  project?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Kubernetes version of the cluster, when known (Helm renders for it). */
  kubeVersion?: string;
  /** API versions the cluster serves, when known. */
  apiVersions?: string[];
}

/** A pull request as an SCM provider returns it. */
export interface PullRequestInfo {
  number: number;
  title: string;
  branch: string;
  target_branch: string;
  head_sha: string;
  labels: string[];
  author: string;
}

export interface ApplicationMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

/** A generated Application, shaped as Argo CD's `argoproj.io/v1alpha1` Application. */
export interface Application {
  apiVersion: string;
  kind: 'Application';
  metadata: ApplicationMetadata;
  spec: JsonObject;
}

export const ARGO_API_VERSION = 'argoproj.io/v1alpha1';
export const FLOTILLA_API_VERSION = 'flotilla.dev/v1alpha1';
/** The finalizer Argo CD adds so deleting an Application deletes its resources. */
export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** The label Argo CD puts on every cluster secret. */
export const CLUSTER_SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
