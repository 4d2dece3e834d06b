import type { KubeObject } from '#sources';
import { apiGroup } from './object-order.js';

/**
 * Built-in cluster-scoped kinds by `group/Kind`. The hub has no cluster discovery at
 * render time, so it uses this list plus the CustomResourceDefinitions in the plan itself;
 * any other kind is taken as namespaced.
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'scheduling.k8s.io/PriorityClass',
  'node.k8s.io/RuntimeClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'policy/PodSecurityPolicy',
  'resource.k8s.io/DeviceClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
]);

/** Knows which kinds are cluster-scoped: the built-in ones and those the given CRDs declare. */
export class ResourceScopes {
  private readonly clusterScoped = new Set(CLUSTER_SCOPED);

  /** Learns the scope of custom resources from CustomResourceDefinitions among `objects`. */
  learnFrom(objects: readonly KubeObject[]): this {
    for (const object of objects) {
      if (object.kind !== 'CustomResourceDefinition') continue;
      const spec = object.spec as { group?: string; scope?: string; names?: { kind?: string } } | undefined;
      if (spec?.scope === 'Cluster' && spec.group && spec.names?.kind) this.clusterScoped.add(`${spec.group}/${spec.names.kind}`);
    }
    return this;
  }

  isNamespaced(object: KubeObject): boolean {
    return !this.clusterScoped.has(`${apiGroup(object.apiVersion)}/${object.kind}`);
  }
}
