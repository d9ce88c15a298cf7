// Runtime loading of the project's ext_proc proto subset with @grpc/proto-loader. The loader options must match
// the `gen` script (camelCase fields, enums as strings, numbers for 64-bit ints, virtual oneof fields), because the
// generated types in gen/ describe exactly these decoded shapes.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType } from './gen/external_processor.js';

export const PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));
export const EXT_PROC_PROTO = 'envoy/service/ext_proc/v3/external_processor.proto';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: false,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

let cachedDef: protoLoader.PackageDefinition | undefined;
let cached: ProtoGrpcType | undefined;

function packageDefinition(): protoLoader.PackageDefinition {
  cachedDef ??= protoLoader.loadSync(EXT_PROC_PROTO, LOADER_OPTIONS);
  return cachedDef;
}

/** The loaded package tree (service definition + message types); loaded once per process. */
export function extProcProto(): ProtoGrpcType {
  cached ??= grpc.loadPackageDefinition(packageDefinition()) as unknown as ProtoGrpcType;
  return cached;
}

let statusNumbers: Map<string, number> | undefined;

/** envoy.type.v3.StatusCode name (as decoded with enums: String) -> HTTP status number. */
export function httpStatusNumber(name: string): number | undefined {
  if (!statusNumbers) {
    statusNumbers = new Map();
    const def = packageDefinition()['envoy.type.v3.StatusCode'] as protoLoader.EnumTypeDefinition;
    const values = (def.type as { value?: Array<{ name: string; number: number }> }).value ?? [];
    for (const v of values) statusNumbers.set(v.name, v.number);
  }
  return statusNumbers.get(name);
}

type ExtProcServiceDefinition =
  ProtoGrpcType['envoy']['service']['ext_proc']['v3']['ExternalProcessor']['service'];
let serviceDefinition: ExtProcServiceDefinition | undefined;

/**
 * The ext_proc service definition servers register. Its response serializer sends a Buffer as is (a reply the
 * stream driver pre-encoded with codec/reply-encoder.ts) and encodes anything else with the generated codec, so
 * both kinds of write work on any server registered with it.
 */
export function extProcServiceDefinition(): ExtProcServiceDefinition {
  if (serviceDefinition) return serviceDefinition;
  const base = extProcProto().envoy.service.ext_proc.v3.ExternalProcessor.service;
  const process = base.Process;
  const encode = process.responseSerialize;
  serviceDefinition = {
    ...base,
    Process: {
      ...process,
      responseSerialize: (m) => (Buffer.isBuffer(m) ? m : encode(m)),
    },
  };
  return serviceDefinition;
}

export const EXT_PROC_SERVICE_NAME = 'envoy.service.ext_proc.v3.ExternalProcessor';
