// `npm run bench -w @igw/epp [-- --quick]`: runs every *.bench.js beside this file, one after another (benchmarks
// must not share the cores), passing the arguments through. Each writes its own section of bench/results/epp.json.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`[epp bench] ${f}`);
  const res = spawnSync(process.execPath, [`${dir}${f}`, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (res.status !== 0) {
    failed++;
    console.error(`[epp bench] ${f} failed with status ${res.status}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
