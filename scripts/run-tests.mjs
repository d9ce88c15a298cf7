#!/usr/bin/env node
// Runs the compiled tests (dist/**/*.test.js) of the given workspace folders, or of every workspace,
// in one `node --test` invocation so the run ends with a single runner summary.
// Node 20's --test expands no globs, hence this finder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const dirs = args.filter((a) => !a.startsWith('--'));

function workspaces() {
  const out = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) out.push(join(base, name));
  }
  return out;
}

function findTests(dir, acc, suffix = '.test.js') {
  if (!existsSync(dir)) return acc;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'results') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, acc, suffix);
    else if (name.endsWith(suffix)) acc.push(full);
  }
  return acc;
}

const targets = dirs.length > 0 ? dirs.map((d) => resolve(d)) : workspaces();
const files = targets.flatMap((d) => findTests(join(d, 'dist'), [])).sort();
// The suite-level benchmark code under bench/ is plain ESM with no build step; its tests run as they are.
if (dirs.length === 0 || dirs.some((d) => resolve(d).startsWith(join(root, 'bench')))) {
  files.push(...findTests(join(root, 'bench'), [], '.test.mjs').sort());
}
if (files.length === 0) {
  console.error(`no compiled tests found under ${targets.map((t) => relative(root, t) || '.').join(', ')}`);
  console.error('did the build run? (npm run build)');
  process.exit(1);
}
console.log(`running ${files.length} test files`);
const res = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    '--test-timeout=180000',
    ...passThrough,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
process.exit(res.status ?? 1);
