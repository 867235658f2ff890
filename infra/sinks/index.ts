import { OPTIONS, type OptionKey, type OptionSpec } from "../../collector/src/config/options.ts";
import { SINK_KINDS, type SinkKind } from "../../collector/src/sinks/kinds.ts";
import { azblobInfra } from "./azblob.ts";
import { SENTINEL_INFRA } from "./sentinel.ts";
import type { SinkInfra } from "./sink-infra.ts";

/**
 * The sinks a stack may give its job: every sink the collector has (collector/src/sinks/kinds.ts) but the file sink,
 * whose output would stay on the job's disk, which Container Apps throws away after every run.
 */
export type JobSink = Exclude<SinkKind, "file">;
export const JOB_SINKS = SINK_KINDS.filter((kind): kind is JobSink => kind !== "file");

export function isJobSink(value: string): value is JobSink {
  return (JOB_SINKS as readonly string[]).includes(value);
}

/** The sinks that need Azure resources beside the job; one module each in this folder. */
export const SINK_INFRA: Readonly<Partial<Record<JobSink, SinkInfra>>> = { azblob: azblobInfra, sentinel: SENTINEL_INFRA };

/** The infra the stack declares for `kind`, unless the owner named resources of their own (`isSet` tells which options they set). */
export function sinkInfraFor(kind: JobSink, isSet: (option: OptionKey) => boolean): SinkInfra | undefined {
  const infra = SINK_INFRA[kind];
  return infra?.ownResourcesOption !== undefined && isSet(infra.ownResourcesOption) ? undefined : infra;
}

/** Whether the sink has a dead letter (the collector's `deadLetter` option is one of its options): the stack provides it. */
export function hasDeadLetter(kind: JobSink): boolean {
  return (OPTIONS as readonly OptionSpec[]).some((option) => option.key === "deadLetter" && option.sinks?.includes(kind) === true);
}
