#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs every workspace's `bench` script one after another (benchmarks must not share
// the 2 cores with each other), then the suite-level bench/<name>.bench.mjs (routing quality), then merges each
// bench/results/<name>.json into bench/results/latest.json and writes bench/results/REPORT.md (tables and charts).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { writeSuiteReport } from './routing/report.mjs';

const root = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const resultsDir = join(root, 'bench', 'results');

const benches = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    const pj = join(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const pkg = JSON.parse(readFileSync(pj, 'utf8'));
    if (pkg.scripts?.bench && (only.length === 0 || only.includes(name)))
      benches.push({ name, dir, pkg: pkg.name });
  }
}
// Suite-level benchmarks living under bench/ itself (e.g. routing quality) register here as bench/<name>.mjs.
for (const f of readdirSync(join(root, 'bench'))) {
  if (f.endsWith('.bench.mjs') && (only.length === 0 || only.includes(f.replace('.bench.mjs', '')))) {
    benches.push({ name: f.replace('.bench.mjs', ''), script: join(root, 'bench', f) });
  }
}

const started = Date.now();
const ran = [];
for (const [i, b] of benches.entries()) {
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  console.log(
    `\n[bench ${i + 1}/${benches.length}, ${elapsed} s elapsed] ${b.pkg ?? b.name}${quick ? ' (quick)' : ''}`,
  );
  const t0 = Date.now();
  // Suite benches leave REPORT.md to this script, which writes it once every result file is in.
  const res = b.script
    ? spawnSync(process.execPath, [b.script, ...(quick ? ['--quick'] : []), '--no-report'], {
        stdio: 'inherit',
        cwd: root,
      })
    : spawnSync('npm', ['run', 'bench', '--silent', '-w', b.pkg, '--', ...(quick ? ['--quick'] : [])], {
        stdio: 'inherit',
        cwd: root,
      });
  ran.push({ name: b.name, status: res.status, seconds: (Date.now() - t0) / 1000 });
  if (res.status !== 0) console.error(`[bench] ${b.name} failed with status ${res.status}`);
  else console.log(`[bench] ${b.name} done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

// A partial run (`node bench/run.mjs epp`) keeps the earlier entries of the benchmarks it did not run, marked with
// the time of the run that wrote them, so REPORT.md still lists every benchmark.
const latestFile = join(resultsDir, 'latest.json');
const previous =
  only.length > 0 && existsSync(latestFile) ? JSON.parse(readFileSync(latestFile, 'utf8')) : undefined;
const kept = (previous?.runs ?? [])
  .filter((/** @type {{ name: string }} */ r) => !ran.some((x) => x.name === r.name))
  .map((/** @type {{ run_at?: string }} */ r) => ({ ...r, run_at: r.run_at ?? previous.generated_at }));
const merged = {
  generated_at: new Date().toISOString(),
  quick,
  machine: {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gib: +(totalmem() / 2 ** 30).toFixed(1),
  },
  node: process.version,
  total_seconds: (Date.now() - started) / 1000,
  runs: [...kept, ...ran],
  results: {},
};
for (const f of existsSync(resultsDir) ? readdirSync(resultsDir) : []) {
  if (f.endsWith('.json') && f !== 'latest.json') {
    merged.results[f.replace('.json', '')] = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
  }
}
writeFileSync(latestFile, `${JSON.stringify(merged, null, 2)}\n`);
writeSuiteReport(resultsDir, { runs: merged.runs, quick });
console.log(
  `\n[bench] done in ${merged.total_seconds.toFixed(0)} s; wrote bench/results/latest.json and bench/results/REPORT.md`,
);
process.exit(ran.every((r) => r.status === 0) ? 0 : 1);
