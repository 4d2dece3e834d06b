import { gunzipSync, gzipSync } from 'node:zlib';
import { MANAGED_LABEL } from '#contracts';
import type { KubeApi } from '#kube';
import type { KubeObject } from '#sources';
import type { PlanRevision } from './hub-client.js';

const CREDENTIAL_SECRET = 'flotilla-agent-credential';
const PLAN_SECRET = 'flotilla-agent-plan';

type SecretObject = KubeObject & { data?: Record<string, string> };

/**
 * What the agent keeps in its cluster, in Secrets of its namespace: the credential the
 * hub issued, and the last plan it received (gzip), so a restart with the hub away still
 * enforces it.
 */
export class StateStore {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
  ) {}

  async credential(): Promise<string | undefined> {
    const secret = (await this.api.get(this.ref(CREDENTIAL_SECRET))) as SecretObject | undefined;
    const value = secret?.data?.credential;
    return value ? Buffer.from(value, 'base64').toString('utf8') : undefined;
  }

  async saveCredential(credential: string): Promise<void> {
    await this.api.apply(this.secret(CREDENTIAL_SECRET, { credential: Buffer.from(credential, 'utf8').toString('base64') }), {
      force: true,
    });
  }

  async lastPlan(): Promise<PlanRevision | undefined> {
    const secret = (await this.api.get(this.ref(PLAN_SECRET))) as SecretObject | undefined;
    const value = secret?.data?.['plan.json.gz'];
    if (!value) return undefined;
    try {
      return JSON.parse(gunzipSync(Buffer.from(value, 'base64')).toString('utf8')) as PlanRevision;
    } catch {
      return undefined; // unreadable: wait for the hub's next plan
    }
  }

  async savePlan(plan: PlanRevision): Promise<void> {
    const packed = gzipSync(JSON.stringify(plan)).toString('base64');
    await this.api.apply(this.secret(PLAN_SECRET, { 'plan.json.gz': packed }), { force: true });
  }

  private ref(name: string) {
    return { apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name };
  }

  private secret(name: string, data: Record<string, string>): KubeObject {
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: this.namespace, labels: { [MANAGED_LABEL]: 'true' } },
      type: 'Opaque',
      data,
    } as KubeObject;
  }
}
