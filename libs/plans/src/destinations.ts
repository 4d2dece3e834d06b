import { type ClusterInfo, IN_CLUSTER_SERVER } from '#contracts';
import { IN_CLUSTER } from '#generators';

export interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
}

export type DestinationMatch = { cluster: ClusterInfo } | { error: string; cluster: { name: string; server: string } };

/**
 * Finds the registered cluster an Application deploys to, by server URL or by name, as
 * Argo CD does; the local cluster is known without being registered.
 */
export function resolveDestination(destination: Destination | undefined, clusters: readonly ClusterInfo[]): DestinationMatch {
  return destinationResolver(clusters)(destination);
}

/**
 * `resolveDestination` for many Applications against one fleet: the clusters are indexed
 * once (by server and by name, the first one winning as a scan would), so placing every
 * Application of a render costs one lookup each instead of a scan of the fleet.
 */
export function destinationResolver(clusters: readonly ClusterInfo[]): (destination: Destination | undefined) => DestinationMatch {
  const byServer = new Map<string, ClusterInfo>();
  const byName = new Map<string, ClusterInfo>();
  for (const cluster of clusters) {
    if (!byServer.has(cluster.server)) byServer.set(cluster.server, cluster);
    if (!byName.has(cluster.name)) byName.set(cluster.name, cluster);
  }
  return (destination) => {
    const server = destination?.server;
    const name = destination?.name;
    const unknown = { name: name ?? '', server: server ?? '' };
    if (server && name) return { error: 'spec.destination sets both server and name; set one', cluster: unknown };
    if (server) {
      const cluster = byServer.get(server) ?? (server === IN_CLUSTER_SERVER ? IN_CLUSTER : undefined);
      return cluster ? { cluster } : { error: `destination server ${server} is not a registered cluster`, cluster: unknown };
    }
    if (name) {
      const cluster = byName.get(name) ?? (name === IN_CLUSTER.name ? IN_CLUSTER : undefined);
      return cluster ? { cluster } : { error: `destination cluster "${name}" is not registered`, cluster: unknown };
    }
    return { error: 'spec.destination names neither a server nor a cluster name', cluster: unknown };
  };
}
