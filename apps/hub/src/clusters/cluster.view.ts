import type { Cluster } from '../generated/prisma/client.js';

/** What the API shows of a cluster: never credential hashes. */
export function clusterView(cluster: Cluster): Record<string, unknown> {
  return {
    name: cluster.name,
    server: cluster.server,
    project: cluster.project,
    labels: cluster.labels,
    annotations: cluster.annotations,
    state: cluster.state,
    agentRegistered: cluster.agentCredentialHash !== null,
    kubeVersion: cluster.kubeVersion,
    lastHeartbeatAt: cluster.lastHeartbeatAt,
    // Set while the newest plan has a failed Application: when it is planned again.
    planRetryAt: cluster.planRetryAt,
    createdAt: cluster.createdAt,
  };
}
