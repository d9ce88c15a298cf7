// Original file: proto/envoy/config/core/v3/base.proto

import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../google/protobuf/Struct.js';

/**
 * Metadata: filter_metadata keyed by filter namespace (e.g. "envoy.lb", "envoy.lb.subset_hint").
 */
export interface Metadata {
  'filterMetadata'?: ({[key: string]: _google_protobuf_Struct});
}

/**
 * Metadata: filter_metadata keyed by filter namespace (e.g. "envoy.lb", "envoy.lb.subset_hint").
 */
export interface Metadata__Output {
  'filterMetadata'?: ({[key: string]: _google_protobuf_Struct__Output});
}
