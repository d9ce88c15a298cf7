// The simulated cluster in its own process (so its CPU is measured apart from the gateway, the EPP and the load
// driver). Driven over IPC: {cmd:'start', opts} -> {ok, pods:[{name,address}]}, {cmd:'stats'} -> {ok, stats:[...]},
// {cmd:'close'} -> {ok} then exit.
import { startSimCluster } from '@igw/model-server-sim';

/** @type {import('@igw/model-server-sim').SimCluster | undefined} */
let cluster;

process.on('message', async (/** @type {any} */ m) => {
  try {
    if (m.cmd === 'start') {
      if (cluster) await cluster.close();
      cluster = await startSimCluster(m.opts);
      process.send?.({ ok: true, pods: cluster.pods.map((p) => ({ name: p.name, address: p.address })) });
    } else if (m.cmd === 'stats') {
      process.send?.({ ok: true, stats: cluster ? cluster.pods.map((p) => p.stats()) : [] });
    } else if (m.cmd === 'close') {
      if (cluster) await cluster.close();
      cluster = undefined;
      process.send?.({ ok: true });
      process.disconnect?.();
    } else {
      process.send?.({ ok: false, error: `unknown command ${m.cmd}` });
    }
  } catch (e) {
    process.send?.({ ok: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
process.on('disconnect', () => process.exit(0));
