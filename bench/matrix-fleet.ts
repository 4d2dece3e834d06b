import type { ClusterInfo } from '#contracts';

/** The fleet the render scenarios share: a clusters × list matrix, and its clusters. */

export function matrixAppSet(elements: number): string {
  return `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: fleet, namespace: argocd}
spec:
  generators:
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {fleet: bench}}}
      - list:
          elements:
${Array.from({ length: elements }, (_, i) => `          - {app: app-${i}, chart: chart-${i % 7}, team: team-${i % 5}}`).join('\n')}
  template:
    metadata:
      name: '{{app}}-{{nameNormalized}}'
      labels: {team: '{{team}}', region: '{{metadata.labels.region}}'}
    spec:
      project: '{{team}}'
      source: {repoURL: 'https://git.example.com/platform/charts.git', targetRevision: main, path: 'charts/{{chart}}'}
      destination: {server: '{{server}}', namespace: '{{app}}'}
      syncPolicy: {automated: {prune: true, selfHeal: true}}
`;
}

export function matrixCluster(i: number, region = `region-${i % 12}`): ClusterInfo {
  return { name: `cluster-${i}`, server: `https://cluster-${i}.fleet.example.com`, labels: { fleet: 'bench', region }, annotations: {} };
}
