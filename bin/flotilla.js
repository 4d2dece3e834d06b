#!/usr/bin/env node
// Starts the compiled CLI; `npm install` (or `npm run build`) compiles it into dist/.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/apps/cli/src/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('flotilla: not built yet; run `npm install` or `npm run build` in the project first\n');
  process.exit(70);
}
await import(entry.href);
