import { z } from 'zod';
import { type ClusterInfo, IN_CLUSTER_SERVER, type ParamSet, SpecError } from '#contracts';
import { sanitizeName } from '#templating';
import type { Generator, GeneratorContext } from './generator.js';
import { isEmptySelector, labelSelectorSchema, matchesSelector } from './selector.js';
import { valuesSchema, withTemplatedValues } from './values.js';

const clustersSchema = z.strictObject({
  selector: labelSelectorSchema.optional(),
  values: valuesSchema.optional(),
  template: z.unknown().optional(),
  flatList: z.boolean().optional(),
});

type ClustersSpec = z.infer<typeof clustersSchema>;

/** The cluster Argo CD runs in, known without a secret. */
export const IN_CLUSTER: ClusterInfo = { name: 'in-cluster', server: IN_CLUSTER_SERVER, labels: {}, annotations: {} };

/**
 * The cluster generator: one parameter set per registered cluster matching the selector.
 * As in Argo CD, the local cluster is added when the generator has no selector and no
 * registered cluster already points at the local API server.
 */
export const clustersGenerator: Generator<ClustersSpec> = {
  key: 'clusters',
  schema: clustersSchema,
  async generate(spec, context) {
    const registered = (await context.sources.clusters?.listClusters()) ?? [];
    const selected = isEmptySelector(spec.selector)
      ? registered
      : registered.filter((cluster) => matchesSelector(spec.selector as NonNullable<typeof spec.selector>, cluster.labels));
    const clusters = includesLocalCluster(spec, registered) ? [IN_CLUSTER, ...selected] : selected;
    const params = clusters.map((cluster) =>
      withTemplatedValues(clusterParams(cluster, cluster === IN_CLUSTER, context), spec.values, context),
    );
    if (spec.flatList) {
      if (context.mode === 'flat') throw new SpecError(`${context.path}.flatList`, 'needs a Handlebars ApplicationSet (nested params)');
      return [{ clusters: params }];
    }
    return params;
  },
};

function includesLocalCluster(spec: ClustersSpec, registered: ClusterInfo[]): boolean {
  return isEmptySelector(spec.selector) && !registered.some((cluster) => cluster.server === IN_CLUSTER_SERVER);
}

function clusterParams(cluster: ClusterInfo, local: boolean, context: GeneratorContext): ParamSet {
  const params: ParamSet = {
    name: cluster.name,
    // Argo CD does not normalise the local cluster's name.
    nameNormalized: local ? cluster.name : sanitizeName(cluster.name),
    server: cluster.server,
    project: cluster.project ?? '',
  };
  if (local) return params;
  if (context.mode === 'nested') {
    const metadata: ParamSet = {};
    if (Object.keys(cluster.annotations).length > 0) metadata.annotations = cluster.annotations;
    if (Object.keys(cluster.labels).length > 0) metadata.labels = cluster.labels;
    params.metadata = metadata;
    return params;
  }
  for (const [key, value] of Object.entries(cluster.annotations)) params[`metadata.annotations.${key}`] = value;
  for (const [key, value] of Object.entries(cluster.labels)) params[`metadata.labels.${key}`] = value;
  return params;
}
