// Original file: proto/envoy/config/core/v3/base.proto


export interface HeaderValue {
  'key'?: (string);
  /**
   * Envoy sends header values in raw_value; value is read as a fallback.
   */
  'value'?: (string);
  'rawValue'?: (Buffer | Uint8Array | string);
}

export interface HeaderValue__Output {
  'key'?: (string);
  /**
   * Envoy sends header values in raw_value; value is read as a fallback.
   */
  'value'?: (string);
  'rawValue'?: (Buffer);
}
