import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { planCommand } from './commands/plan.js';
import { type CommandIO, renderCommand } from './commands/render.js';
import { EXIT, reportError } from './exit-codes.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']).default('json');
}

/** Builds the `flotilla` command line; `run` executes it and returns the exit code. */
export function buildProgram(io: CommandIO, env: Readonly<Record<string, string | undefined>> = {}): Command {
  const program = new Command('flotilla')
    .description('Flotilla: ApplicationSets rendered into per-cluster plans for a fleet of Kubernetes clusters')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s.trimEnd()) });

  program
    .command('render')
    .description('print the Applications an ApplicationSet generates, without a hub or a cluster')
    .requiredOption('-f, --file <file>', 'ApplicationSet YAML or JSON (- for standard input)')
    .option('--clusters <file>', 'registered clusters: a YAML list of {name, server, project?, labels, annotations}')
    .option('--git-repo <url=path>', 'read the repository at repoURL from a local git repository (repeatable)', collect, [])
    .option('--pull-requests <file>', 'open pull requests: a YAML list of {number, title, branch, target_branch, head_sha, labels, author}')
    .addOption(outputOption())
    .action(async (flags) => renderCommand(flags, io));

  program
    .command('plan')
    .description('print one plan per destination cluster: every Application rendered to Kubernetes objects (helm, kustomize, plain YAML)')
    .requiredOption('-f, --file <file>', 'ApplicationSet YAML or JSON (- for standard input)')
    .option(
      '--clusters <file>',
      'registered clusters: a YAML list of {name, server, project?, labels, annotations, kubeVersion?, apiVersions?}',
    )
    .option('--git-repo <url=path>', 'read the repository at repoURL from a local git repository (repeatable)', collect, [])
    .option('--pull-requests <file>', 'open pull requests: a YAML list of {number, title, branch, target_branch, head_sha, labels, author}')
    .option('--diff <old.json>', 'print what would change against plans printed earlier with -o json')
    .option(
      '--allow-network <url-prefix>',
      'let renders of these repositories reach the network (remote kustomize bases, Helm dependencies); * for all (repeatable)',
      collect,
      [],
    )
    .addOption(new Option('-o, --output <format>', 'output format (default: json; text for --diff)').choices(['json', 'yaml', 'text']))
    .action(async (flags) => planCommand(flags, io, env));

  return program;
}

export async function run(argv: readonly string[], io: CommandIO, env: Readonly<Record<string, string | undefined>> = {}): Promise<number> {
  const program = buildProgram(io, env);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof InvalidArgumentError) return EXIT.usage;
    return reportError(error, io.stderr);
  }
}
