import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApplicationSets, renderApplicationSet } from '#appsets';
import { SpecError } from '#contracts';
import { createDefaultRegistry } from '#generators';
import { type ClusterDiff, diffPlans, type Plan, type PlanInput, Planner } from '#plans';
import {
  createSourceRenderService,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TOOL_TIMEOUT_MS,
  LocalGitRepositories,
  toolPathsFromEnv,
} from '#sources';
import { parseGitRepoFlags, readClusters, readInput, type SourceFlags } from '../inputs.js';
import { formatList, type OutputFormat } from '../output.js';
import type { CommandIO } from './render.js';

export interface PlanFlags extends SourceFlags {
  file: string;
  output?: OutputFormat | 'text';
  diff?: string;
  /** Repository URL prefixes whose renders may reach the network (`*`: all). */
  allowNetwork: string[];
}

/**
 * `flotilla plan`: one plan per destination cluster, every source rendered offline from
 * local repositories with the real helm and kustomize; `--diff OLD.json` prints what
 * would change against plans printed earlier.
 */
export async function planCommand(flags: PlanFlags, io: CommandIO, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const registry = createDefaultRegistry();
  const appSets = parseApplicationSets(readInput(flags.file, '-f'), registry, flags.file);
  const oldPlans = flags.diff === undefined ? undefined : readPlans(flags.diff);
  const clusters = flags.clusters === undefined ? [] : readClusters(flags.clusters);
  const workDir = mkdtempSync(join(tmpdir(), 'flotilla-plan-'));
  try {
    const git = new LocalGitRepositories(parseGitRepoFlags(flags.gitRepo), { cacheDir: join(workDir, 'checkouts') });
    const tools = toolPathsFromEnv(env);
    const renderer = createSourceRenderService({
      ...tools,
      timeoutMs: DEFAULT_TOOL_TIMEOUT_MS,
      maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES,
      cacheDir: join(workDir, 'render'),
      allowNetwork: (repoURL) => flags.allowNetwork.some((prefix) => prefix === '*' || repoURL.startsWith(prefix)),
    });
    const inputs: PlanInput[] = [];
    for (const appSet of appSets) {
      const result = await renderApplicationSet(appSet, { registry, sources: { clusters: { listClusters: async () => clusters }, git } });
      for (const warning of result.warnings) io.stderr(`warning: ${warning}`);
      inputs.push(...result.applications.map((application) => ({ application, applicationSet: appSet.metadata.name })));
    }
    const plans = await new Planner({ git, checkouts: git, renderer }).plan(inputs, clusters);
    for (const plan of plans) {
      for (const app of plan.applications)
        if (app.error) io.stderr(`warning: ${plan.cluster.name || plan.cluster.server}/${app.name}: ${app.error}`);
    }
    if (oldPlans === undefined) {
      io.stdout(formatList(plans, flags.output === 'yaml' ? 'yaml' : 'json'));
      return;
    }
    const changes = diffPlans(oldPlans, plans);
    io.stdout(flags.output === 'json' || flags.output === 'yaml' ? formatList(changes, flags.output) : formatDiff(changes));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

function readPlans(file: string): Plan[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readInput(file, '--diff'));
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw new SpecError('', `--diff ${file}: not a JSON plan list (write one with flotilla plan -o json)`);
  }
  if (!Array.isArray(parsed) || parsed.some((p) => typeof p !== 'object' || p === null || !('cluster' in p) || !('applications' in p))) {
    throw new SpecError('', `--diff ${file}: not a JSON plan list (write one with flotilla plan -o json)`);
  }
  return parsed as Plan[];
}

const show = (value: unknown): string => (value === undefined ? '<none>' : JSON.stringify(value));

/** kubectl-like text: `+` added, `-` removed, `~` changed with its fields, `!` errors. */
export function formatDiff(changes: ClusterDiff[]): string {
  if (changes.length === 0) return 'no changes\n';
  const lines: string[] = [];
  for (const change of changes) {
    lines.push(`cluster ${change.cluster.name || '<unregistered>'} (${change.cluster.server}):`);
    for (const a of change.added) lines.push(`  + ${a.object}  [${a.application}]`);
    for (const r of change.removed) lines.push(`  - ${r.object}  [${r.application}]`);
    for (const c of change.changed) {
      lines.push(`  ~ ${c.object}  [${c.application}]`);
      for (const f of c.fields) lines.push(`      ${f.path}: ${show(f.old)} -> ${show(f.new)}`);
    }
    for (const e of change.errors) lines.push(`  ! ${e.application}: ${e.new ?? `fixed (was: ${e.old})`}`);
  }
  return `${lines.join('\n')}\n`;
}
