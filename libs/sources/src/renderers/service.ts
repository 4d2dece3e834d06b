import { readdir } from 'node:fs/promises';
import { SourceError } from '#contracts';
import { resolveAppDir, SymlinkGuard } from '../paths.js';
import type { SourceToolsConfig } from '../tools.js';
import { DirectoryRenderer } from './directory.js';
import { isEmptyBlock } from './fields.js';
import { HelmRenderer } from './helm.js';
import { KustomizeRenderer } from './kustomize.js';
import { mergeSourceOverrides } from './source-overrides.js';
import type { KubeObject, RenderSourceInput, SourceKind, SourceRenderer, SourceRenderService } from './types.js';

const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
const EXPLICIT_BLOCKS = [
  ['kustomize', 'Kustomize'],
  ['helm', 'Helm'],
  ['directory', 'Directory'],
] as const;

/**
 * Picks the renderer for a source as Argo CD does and runs it: a `plugin` block is
 * refused; otherwise the one non-empty `helm`/`kustomize`/`directory` block decides;
 * otherwise `chart` means Helm; otherwise the files in `source.path` decide.
 * For git sources, `.argocd-source.yaml` overrides in `source.path` are merged first.
 */
export class DefaultSourceRenderService implements SourceRenderService {
  private readonly renderers = new Map<SourceKind, SourceRenderer>();

  constructor(renderers: readonly SourceRenderer[]) {
    for (const renderer of renderers) this.renderers.set(renderer.kind, renderer);
  }

  async detectKind(input: RenderSourceInput): Promise<SourceKind> {
    return (await this.prepare(input)).kind;
  }

  async render(input: RenderSourceInput): Promise<{ kind: SourceKind; objects: KubeObject[] }> {
    const { kind, input: effective } = await this.prepare(input);
    const renderer = this.renderers.get(kind);
    if (!renderer) throw new SourceError(`no renderer registered for ${kind} sources`);
    return { kind, objects: await renderer.render(effective) };
  }

  private async prepare(input: RenderSourceInput): Promise<{ kind: SourceKind; input: RenderSourceInput }> {
    if (input.source.plugin !== undefined && input.source.plugin !== null) {
      throw new SourceError('source.plugin: config management plugins are not supported');
    }
    if (input.source.chart) {
      const kind = explicitKind(input.source);
      if (kind !== undefined && kind !== 'helm') throw new SourceError(`source.chart is set, so the source is Helm, not ${kind}`);
      return { kind: 'helm', input };
    }
    if (input.checkout === undefined) throw new SourceError(`source ${input.source.repoURL} has neither a chart nor a git checkout`);
    const { dir } = await resolveAppDir(input.checkout, input.source.path);
    const source = await mergeSourceOverrides(input.source, dir, input.appName);
    const effective = source === input.source ? input : { ...input, source };
    return { kind: explicitKind(source) ?? (await detectFromFiles(dir)), input: effective };
  }
}

function explicitKind(source: RenderSourceInput['source']): SourceKind | undefined {
  const present = EXPLICIT_BLOCKS.filter(([key]) => !isEmptyBlock(source[key]));
  if (present.length > 1) throw new SourceError(`multiple application sources defined: ${present.map(([, name]) => name).join(',')}`);
  return present[0]?.[0];
}

/**
 * Argo CD's discovery: walking the directory's files in name order, a name ending in
 * `Chart.yaml` makes it Helm and a kustomization file makes it kustomize, the last one
 * seen winning; neither makes it a plain directory.
 */
async function detectFromFiles(dir: string): Promise<SourceKind> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => !entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  let kind: SourceKind = 'directory';
  for (const name of names) {
    if (name.endsWith('Chart.yaml')) kind = 'helm';
    if (KUSTOMIZATION_FILES.has(name)) kind = 'kustomize';
  }
  return kind;
}

/** The renderers of every supported kind, sharing one symbolic-link check per checkout. */
export function createSourceRenderers(config: SourceToolsConfig): SourceRenderer[] {
  const guard = new SymlinkGuard();
  return [
    new DirectoryRenderer({ maxBytes: config.maxOutputBytes, guard }),
    new KustomizeRenderer(config, { guard }),
    new HelmRenderer(config, { guard }),
  ];
}

export function createSourceRenderService(config: SourceToolsConfig): SourceRenderService {
  return new DefaultSourceRenderService(createSourceRenderers(config));
}
