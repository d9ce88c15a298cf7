export {
  DEFAULT_LEASE_TIMINGS,
  eppLeaseName,
  type LeaderChange,
  LeaseElector,
  type LeaseElectorOptions,
} from './lease-elector.js';
