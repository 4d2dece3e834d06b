import { CLUSTER_SECRET_TYPE_LABEL, type ClusterInfo } from '#contracts';
import type { GeneratorSources, GitSource } from '#generators';
import type { PrismaService } from '../database/prisma.service.js';
import type { Cluster } from '../generated/prisma/client.js';

/** The columns the pipeline reads of a cluster. */
export type PipelineCluster = Pick<
  Cluster,
  | 'id'
  | 'name'
  | 'server'
  | 'project'
  | 'labels'
  | 'annotations'
  | 'kubeVersion'
  | 'apiVersions'
  | 'desiredPlanGeneration'
  | 'plannedGeneration'
>;

const CLUSTER_COLUMNS = `id, name, server, project, labels, annotations, "kubeVersion", "apiVersions", "desiredPlanGeneration", "plannedGeneration"`;

/**
 * Clusters for the render and plan jobs (all of them, or those with `ids`), by one prepared
 * statement on the pg pool: Prisma's query compiler costs more than the read itself at fleet size.
 */
export function readClusters(prisma: PrismaService, ids?: readonly string[]): Promise<PipelineCluster[]> {
  return ids
    ? prisma.hotQuery<PipelineCluster>('pipeline-clusters-by-id', `SELECT ${CLUSTER_COLUMNS} FROM "Cluster" WHERE id = ANY($1::uuid[])`, [
        [...ids],
      ])
    : prisma.hotQuery<PipelineCluster>('pipeline-clusters', `SELECT ${CLUSTER_COLUMNS} FROM "Cluster"`, []);
}

/**
 * A registered cluster as generators see it. It carries Argo CD's cluster-secret label, so
 * ApplicationSets that select `argocd.argoproj.io/secret-type: cluster` work unchanged.
 */
export function clusterInfo(cluster: PipelineCluster): ClusterInfo {
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
