import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The agent as one file (`npm run build` writes it, `npm run agent` and the image run it):
 * esbuild bundles dist/apps/agent/src/main.js with only the code the agent reaches. What
 * that buys is memory (issue 5: idle RSS under 80 MiB; docs/adr/0004-agent-kube-client.md):
 *
 * - @kubernetes/client-node's `KubeConfig` (kubeconfig, in-cluster config, certificates,
 *   tokens, exec plugins) without the rest of the package. Its config.js imports the
 *   generated API package (gen/index.js: every API client and model) for `makeApiClient`,
 *   and undici for `applyToFetchOptions`; the agent uses neither (`KubeClient` talks to the
 *   API server with node:https and asks `applyToHTTPSOptions` for credentials), so both are
 *   replaced by stubs that throw if anything ever calls them.
 * - Modules without side effects are dropped when nothing uses their exports: the hub's
 *   zod schemas in #contracts (the agent uses its constants) and zod with them.
 */

const DIST = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = `${DIST}apps/agent/src/main.js`;
export const AGENT_BUNDLE = `${DIST}apps/agent/flotilla-agent.mjs`;

const STUBS: Record<string, string> = {
  'client-node-gen': `
const missing = (what) => () => { throw new Error(what + ' is not in the agent build: use KubeClient (libs/kube)'); };
export const createConfiguration = missing('@kubernetes/client-node makeApiClient');
export class ServerConfiguration { constructor() { missing('@kubernetes/client-node makeApiClient')(); } }
`,
  undici: `
const missing = () => { throw new Error('undici (KubeConfig.applyToFetchOptions) is not in the agent build: use KubeClient (libs/kube)'); };
export class Agent { constructor() { missing(); } }
export class ProxyAgent extends Agent {}
export const fetch = missing;
`,
};

const slimClientNode: Plugin = {
  name: 'flotilla-agent-slim-client-node',
  setup(build) {
    // config.js's `import { createConfiguration, ServerConfiguration } from './gen/index.js'`.
    build.onResolve({ filter: /^\.\/gen\/index\.js$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]config\.js$/.test(args.importer)
        ? { path: 'client-node-gen', namespace: 'flotilla-stub' }
        : undefined,
    );
    build.onResolve({ filter: /^undici$/ }, (args) =>
      /[\\/]@kubernetes[\\/]client-node[\\/]/.test(args.importer) ? { path: 'undici', namespace: 'flotilla-stub' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'flotilla-stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js' }));
  },
};

/**
 * #contracts declares schemas and constants, nothing that must run when unused: marked
 * free of side effects, its modules the agent does not use (the hub's zod schemas) are
 * left out, and zod with them.
 */
const pureContracts: Plugin = {
  name: 'flotilla-pure-contracts',
  setup(build) {
    const contracts = /[\\/]dist[\\/]libs[\\/]contracts[\\/]src[\\/]/;
    build.onResolve({ filter: /^(#contracts|\.\.?\/.*)$/ }, async (args) => {
      if (args.pluginData === 'resolving' || (args.path !== '#contracts' && !contracts.test(args.importer))) return undefined;
      const { path, external, namespace } = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      return { path, external, namespace, sideEffects: false };
    });
  },
};

export async function bundleAgent(outfile = AGENT_BUNDLE): Promise<void> {
  const result = await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    // Readable stack traces; minifying saves little memory (the source is parsed lazily).
    minify: false,
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [slimClientNode, pureContracts],
    // Some bundled CommonJS packages `require` Node's built-in modules.
    banner: {
      js: "import { createRequire as __flotillaCreateRequire } from 'node:module';\nconst require = __flotillaCreateRequire(import.meta.url);",
    },
  });
  if (result.errors.length > 0) throw new Error(`bundling the agent failed: ${result.errors.map((e) => e.text).join('; ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleAgent(process.argv[2]);
  const out = process.argv[2] ?? AGENT_BUNDLE;
  process.stdout.write(`agent bundle: ${out} (${Math.round(statSync(out).size / 1024)} KiB)\n`);
}
