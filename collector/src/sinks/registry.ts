import type { TokenCredential } from "@azure/identity";
import type { OptionReader } from "../config/option-reader.ts";
import type { Logger } from "../log/logger.ts";
import { azblobSink, type AzblobSinkConfig } from "./azblob/index.ts";
import { fileSink, type FileSinkConfig } from "./file/index.ts";
import { httpSink, type HttpSinkConfig } from "./http/index.ts";
import type { SinkKind } from "./kinds.ts";
import { sentinelSink, type SentinelSinkConfig } from "./sentinel/index.ts";
import type { SinkCheckDependencies, SinkCheckResult } from "./sink-check.ts";
import type { DeliveryGuarantee, Sink } from "./sink.ts";
import { stdoutSink, type StdoutSinkConfig } from "./stdout/index.ts";
import { syslogSink, type SyslogSinkConfig } from "./syslog/index.ts";

/** What a sink may use besides its configuration. */
export interface SinkDependencies {
  readonly logger: Logger;
  /** Aborts every request, wait and retry of the sink (the collector's stop). */
  readonly signal: AbortSignal | undefined;
  /** The host's managed identity, created on first call (only sinks that authenticate with it call it). */
  readonly credential: () => TokenCredential;
}

/**
 * One sink kind: its declared delivery guarantee, how it reads its options (declared in the options table with
 * `sinks: [kind]`), how it is built, and how doctor checks it. Adding a sink means a folder, an entry in kinds.ts and
 * options.ts, and one here.
 */
export interface SinkDefinition<C extends { readonly kind: SinkKind }> {
  readonly kind: C["kind"];
  /** The guarantee a sink with this configuration keeps (an HTTP preset may drop repeats by Id, another not). */
  delivery(config: C): DeliveryGuarantee;
  readConfig(options: OptionReader): C;
  create(config: C, dependencies: SinkDependencies): Sink;
  /**
   * `auditfeed doctor`'s "sink" check: the destination is reachable (DNS, TCP, TLS with the sink's own trust) and
   * accepts this configuration's credential, checked by a request that delivers nothing a receiver keeps (an
   * authenticated no-op, where the destination has one). A failure is returned with its fix, not thrown.
   * Absent: doctor reports the sink as not checked.
   */
  check?(config: C, dependencies: SinkCheckDependencies): Promise<SinkCheckResult>;
}

/** Every sink kind's settings, told apart by `kind`. */
export type SinkConfig = FileSinkConfig | StdoutSinkConfig | HttpSinkConfig | SyslogSinkConfig | SentinelSinkConfig | AzblobSinkConfig;

type Registry = { readonly [K in SinkKind]: SinkDefinition<Extract<SinkConfig, { kind: K }>> };

export const SINKS: Registry = { file: fileSink, stdout: stdoutSink, http: httpSink, syslog: syslogSink, sentinel: sentinelSink, azblob: azblobSink };

export function sinkDefinition(kind: SinkKind): SinkDefinition<SinkConfig> {
  return SINKS[kind];
}

export function createSink(config: SinkConfig, dependencies: SinkDependencies): Sink {
  return sinkDefinition(config.kind).create(config, dependencies);
}

/** The sink's doctor check, or undefined when its kind has none. */
export function checkSink(config: SinkConfig, dependencies: SinkCheckDependencies): Promise<SinkCheckResult> | undefined {
  return sinkDefinition(config.kind).check?.(config, dependencies);
}
