import { z } from 'zod';

const stringMap = z.record(z.string(), z.string());

/** A registered cluster, as a cluster file or the admin API gives it. */
export const clusterInfoSchema = z.strictObject({
  name: z.string({ error: 'is required' }).min(1, 'must not be empty'),
  server: z.url({ error: 'must be the URL of the cluster API server' }),
  project: z.string().optional(),
  labels: stringMap.default({}),
  annotations: stringMap.default({}),
  /** Kubernetes version of the cluster (`v1.34.2`), when known: Helm renders for it. */
  kubeVersion: z.string().optional(),
  /** API versions the cluster serves (`apps/v1`, `monitoring.coreos.com/v1/ServiceMonitor`), when known. */
  apiVersions: z.array(z.string()).optional(),
});

/** A pull request, as a pull request file or an SCM provider gives it. */
export const pullRequestInfoSchema = z.strictObject({
  number: z.number().int().nonnegative(),
  title: z.string(),
  branch: z.string().min(1, 'must not be empty'),
  target_branch: z.string().min(1, 'must not be empty'),
  head_sha: z.string().regex(/^[0-9a-fA-F]+$/, 'must be a commit SHA (hex)'),
  labels: z.array(z.string()).default([]),
  author: z.string().default(''),
});
