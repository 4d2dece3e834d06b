import { KubeClient, loadKubeConfig } from '#kube';
import { Agent } from './agent.js';
import { loadAgentConfig } from './config.js';
import { HubClient } from './hub-client.js';
import { log } from './log.js';
import { startMetricsServer } from './metrics.js';

/** `npm run agent`: the spoke agent, configured from the environment (see README). */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadAgentConfig>;
  try {
    config = loadAgentConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  const kubeConfig = loadKubeConfig(config.kubeconfig);
  const stopping = new AbortController();
  const agent = new Agent(config, new KubeClient(kubeConfig), new HubClient(config.hubUrl, stopping.signal));
  if (config.metricsPort > 0) await startMetricsServer(agent.metrics, config.metricsPort, () => agent.ready);
  await agent.start();
  log('info', 'agent started', { hub: config.hubUrl, namespace: config.namespace });
  const shutdown = (signal: string): void => {
    log('info', 'stopping', { signal });
    stopping.abort();
    // Whatever is still in flight (an apply, a report) gets a few seconds, then the process ends.
    setTimeout(() => process.exit(0), 10_000).unref();
    void agent.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

await main();
