// Compiles an EndpointPickerConfig into the f64 config block the WASM module reads (applyConfig()).
import type { EndpointPickerConfig } from '../types.js';
import { Cfg, MAX_SCORERS, PickerCode, ScorerCode } from './abi.js';

export function writeConfigBlock(f64: Float64Array, base: number, cfg: EndpointPickerConfig): void {
  const at = (i: number, v: number) => {
    f64[base + i] = v;
  };
  for (let i = 0; i < 64; i++) at(i, 0);
  const sd = cfg.saturationDetector;
  at(Cfg.satKind, sd.kind === 'v1.0' ? 0 : 1);
  at(Cfg.satQdt, sd.queueDepthThreshold);
  at(Cfg.satKvt, sd.kvCacheUtilThreshold);
  at(Cfg.satStaleMs, sd.metricsStalenessThresholdMs);
  at(Cfg.satHeadroom, sd.headroom);
  const pc = cfg.prefixCache;
  if (pc) {
    at(Cfg.prefixOn, 1);
    at(Cfg.blockBytes, pc.blockSizeBytes);
    at(Cfg.maxBlocks, pc.maxPrefixBlocksToMatch);
    at(Cfg.lruCap, pc.lruCapacityPerServer);
    at(Cfg.hashScheme, pc.scheme === 'v1.0' ? 0 : 1);
  }
  const p = cfg.profile;
  if (p.kind === 'legacy-v0.3') {
    at(Cfg.profileKind, 1);
    at(Cfg.maxPicks, 1);
    at(Cfg.legKv, p.params.kvCacheThreshold);
    at(Cfg.legQCrit, p.params.queueThresholdCritical);
    at(Cfg.legQLora, p.params.queueingThresholdLoRA);
    at(Cfg.legAffinity, p.params.loraAffinityThreshold);
    return;
  }
  if (p.scorers.length > MAX_SCORERS) throw new RangeError(`at most ${MAX_SCORERS} scorers per profile`);
  at(Cfg.profileKind, 0);
  at(Cfg.picker, PickerCode[p.picker.type]);
  at(Cfg.maxPicks, Math.max(1, p.picker.maxNumOfEndpoints));
  at(Cfg.nScorers, p.scorers.length);
  at(Cfg.utilFilter, p.utilizationFilter ? 1 : 0);
  p.scorers.forEach((s, i) => {
    at(Cfg.scorerType + i, ScorerCode[s.type]);
    at(Cfg.scorerWeight + i, s.weight);
  });
}
