#!/usr/bin/env node
// Re-renders bench/results/routing.md, the routing charts and REPORT.md from the committed result files
// (routing.json, latest.json, the packages' .json/.md) without running anything: for a change of the report's
// format. Every number still comes from the run that wrote those files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRoutingJson, routingMarkdown, writeRoutingCharts, writeSuiteReport } from './routing/report.mjs';

const resultsDir = resolve(import.meta.dirname, 'results');
const routingFile = join(resultsDir, 'routing.json');
if (existsSync(routingFile)) {
  const json = readRoutingJson(routingFile);
  writeRoutingCharts(json, resultsDir);
  writeFileSync(join(resultsDir, 'routing.md'), `${routingMarkdown(json)}\n`);
}
const latestFile = join(resultsDir, 'latest.json');
const latest = existsSync(latestFile) ? JSON.parse(readFileSync(latestFile, 'utf8')) : {};
writeSuiteReport(resultsDir, { runs: latest.runs, quick: latest.quick });
console.log('re-rendered bench/results/routing.md, charts/ and REPORT.md from the committed result files');
