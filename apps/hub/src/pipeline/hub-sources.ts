import { CLUSTER_SECRET_TYPE_LABEL, type ClusterInfo } from '#contracts';
import type { GeneratorSources, GitSource } from '#generators';
import type { Cluster } from '../generated/prisma/client.js';

/**
 * A registered cluster as generators see it. It carries Argo CD's cluster-secret label, so
 * ApplicationSets that select `argocd.argoproj.io/secret-type: cluster` work unchanged.
 */
export function clusterInfo(cluster: Cluster): ClusterInfo {
  const info: ClusterInfo = {
    name: cluster.name,
    server: cluster.server,
    labels: { [CLUSTER_SECRET_TYPE_LABEL]: 'cluster', ...(cluster.labels as Record<string, string>) },
    annotations: cluster.annotations as Record<string, string>,
  };
  if (cluster.project) info.project = cluster.project;
  if (cluster.kubeVersion) info.kubeVersion = cluster.kubeVersion;
  if (Array.isArray(cluster.apiVersions)) info.apiVersions = cluster.apiVersions as string[];
  return info;
}

/** Generator sources of the hub: clusters from Postgres (read once per render), git from the cache. */
export function hubGeneratorSources(clusters: readonly ClusterInfo[], git: GitSource): GeneratorSources {
  return { clusters: { listClusters: async () => [...clusters] }, git };
}
