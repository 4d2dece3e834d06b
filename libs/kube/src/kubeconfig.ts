// client-node's KubeConfig from its own module, not from the package index, which loads
// every generated API client and model (the agent's build also cuts config.js's own import
// of the generated code down to the two functions it uses: apps/agent/bundle.ts).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/**
 * The cluster and credentials the agent uses: a kubeconfig file (its current context), or
 * without one the pod's service account (in-cluster config). Authentication (client
 * certificates, tokens, token files, exec plugins) stays with @kubernetes/client-node.
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (file) kubeConfig.loadFromFile(file);
  else kubeConfig.loadFromCluster();
  return kubeConfig;
}
