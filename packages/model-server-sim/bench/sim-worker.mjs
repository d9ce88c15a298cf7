// Child process of cpu-cost.mjs: runs the simulated cluster alone, so its CPU time is measured apart from the load
// generator's. Commands arrive over IPC.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSimCluster } from '../dist/index.js';

const opts = JSON.parse(process.argv[2]);
const cluster = await startSimCluster(opts);
let mark = null;
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

function totals() {
  let tokens = 0;
  let finished = 0;
  let maxLagMs = 0;
  for (const p of cluster.pods) {
    const s = p.stats();
    tokens += s.generationTokens;
    finished += s.finished;
    maxLagMs = Math.max(maxLagMs, s.maxLagMs);
  }
  return { tokens, finished, maxLagMs };
}

process.on('message', async (msg) => {
  if (msg.cmd === 'start') {
    // Lag is reported per measured window.
    for (const p of cluster.pods) p.engine.maxLagMs = 0;
    loopDelay.reset();
    mark = { cpu: process.cpuUsage(), t: performance.now(), ...totals() };
    process.send({ ok: true });
  } else if (msg.cmd === 'stop') {
    const cpu = process.cpuUsage(mark.cpu);
    const now = totals();
    process.send({
      wallMs: performance.now() - mark.t,
      cpuMs: (cpu.user + cpu.system) / 1000,
      tokens: now.tokens - mark.tokens,
      finished: now.finished - mark.finished,
      maxLagMs: now.maxLagMs,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      loopDelayMaxMs: loopDelay.max / 1e6,
    });
  } else if (msg.cmd === 'exit') {
    await cluster.close();
    process.send({ bye: true }, () => process.exit(0));
  }
});
process.send({ ready: true, addresses: cluster.pods.map((p) => ({ host: p.host, port: p.port })) });
