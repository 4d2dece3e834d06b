import { SourceError } from '#contracts';
import type { RenderSourceInput } from './renderers/types.js';

/**
 * Argo CD's build environment: `$ARGOCD_APP_NAME` and friends, substituted into Helm
 * parameters and value file paths and into kustomize images and labels. Variables the
 * render input does not carry (the revision or project, when the caller gave none) are
 * refused rather than replaced by an empty string, which would render something different
 * from Argo CD silently.
 */
const UNAVAILABLE = new Set(['ARGOCD_APP_REVISION', 'ARGOCD_APP_REVISION_SHORT', 'ARGOCD_APP_REVISION_SHORT_8', 'ARGOCD_APP_PROJECT_NAME']);

export type BuildEnv = ReadonlyMap<string, string>;

export function buildEnv(input: RenderSourceInput): BuildEnv {
  const env = new Map<string, string>([
    ['ARGOCD_APP_NAME', input.appName],
    ['ARGOCD_APP_NAMESPACE', input.namespace ?? ''],
    ['ARGOCD_APP_SOURCE_REPO_URL', input.source.repoURL],
    ['ARGOCD_APP_SOURCE_PATH', input.source.path ?? ''],
    ['ARGOCD_APP_SOURCE_TARGET_REVISION', input.source.targetRevision ?? ''],
  ]);
  if (input.revision !== undefined) {
    env.set('ARGOCD_APP_REVISION', input.revision);
    env.set('ARGOCD_APP_REVISION_SHORT', input.revision.slice(0, 7));
    env.set('ARGOCD_APP_REVISION_SHORT_8', input.revision.slice(0, 8));
  }
  if (input.project !== undefined) env.set('ARGOCD_APP_PROJECT_NAME', input.project);
  if (input.kubeVersion !== undefined) env.set('KUBE_VERSION', input.kubeVersion);
  if (input.apiVersions !== undefined) env.set('KUBE_API_VERSIONS', input.apiVersions.join(','));
  return env;
}

/**
 * Go's `os.Expand` with Argo CD's mapping: `$NAME` and `${NAME}` are replaced, `$$` is a
 * literal `$`, unknown names become empty, `${}` is dropped and a lone `$` stays.
 */
export function envsubst(text: string, env: BuildEnv, field: string): string {
  if (!text.includes('$')) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c !== '$' || i + 1 >= text.length) {
      out += c;
      i++;
      continue;
    }
    const { name, width } = shellName(text.slice(i + 1));
    if (name === '' && width === 0) out += '$';
    else if (name !== '') out += lookup(name, env, field);
    i += 1 + width;
  }
  return out;
}

function lookup(name: string, env: BuildEnv, field: string): string {
  if (name === '$') return '$';
  const value = env.get(name);
  if (value === undefined && UNAVAILABLE.has(name)) throw new SourceError(`${field}: $${name} is not known for this render`);
  return value ?? '';
}

const SPECIAL = new Set('*#$@!?-0123456789');
const ALPHANUMERIC = /[A-Za-z0-9_]/;

function shellName(s: string): { name: string; width: number } {
  if (s[0] === '{') {
    if (s.length > 2 && SPECIAL.has(s[1] as string) && s[2] === '}') return { name: s[1] as string, width: 3 };
    const close = s.indexOf('}', 1);
    if (close === 1) return { name: '', width: 2 };
    if (close < 0) return { name: '', width: 1 };
    return { name: s.slice(1, close), width: close + 1 };
  }
  if (SPECIAL.has(s[0] as string)) return { name: s[0] as string, width: 1 };
  let i = 0;
  while (i < s.length && ALPHANUMERIC.test(s[i] as string)) i++;
  return { name: s.slice(0, i), width: i };
}
