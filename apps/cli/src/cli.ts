import { run } from './main.js';

// The process entry point: everything testable lives in main.ts.
const code = await run(
  process.argv.slice(2),
  {
    stdout: (text) => process.stdout.write(text),
    stderr: (line) => process.stderr.write(`${line}\n`),
  },
  process.env,
);
process.exitCode = code;
