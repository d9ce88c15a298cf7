// What a run measures: the cluster, the time scale, the QPS sweeps (simulated requests per second) and the seeds.
// QPS steps are chosen to cross each policy's knee on this cluster (see bench/README.md for the calibration).

export const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';

/** The simulated cluster: 8 pods of the h100-8b profile, KV shrunk with the workloads so its pressure is realistic. */
export const CLUSTER = {
  pods: 8,
  profile: 'h100-8b',
  params: { numGpuBlocks: 2500, maxLoras: 3, loraLoadMs: 20 },
  loras: Array.from({ length: 15 }, (_, i) => `adapter-${String(i).padStart(2, '0')}`),
};

/**
 * @param {boolean} quick
 * @returns {{ mode: string, seeds: number[], timeScale: number, warmupS: number, durationS: number, drainCapS: number,
 *   sweeps: Record<string, number[]> }}
 */
export function runConfig(quick) {
  return quick
    ? {
        mode: 'quick',
        seeds: [1],
        timeScale: 2,
        warmupS: 1.5,
        durationS: 4,
        drainCapS: 12,
        sweeps: { 'shared-prefix': [15, 40, 60], 'sharegpt-like': [25, 60], 'multi-lora': [20, 45] },
      }
    : {
        mode: 'full',
        seeds: [1, 2, 3],
        timeScale: 2,
        warmupS: 3,
        durationS: 6,
        drainCapS: 16,
        sweeps: {
          'shared-prefix': [10, 25, 40, 60],
          'sharegpt-like': [20, 45, 70],
          'multi-lora': [20, 35, 50],
        },
      };
}
