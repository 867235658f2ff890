import { FileSink } from "./file/file-sink.ts";
import type { FileSinkConfig } from "./file/config.ts";
import type { Sink } from "./sink.ts";
import { StdoutSink } from "./stdout/stdout-sink.ts";

export type { FileSinkConfig } from "./file/config.ts";

/** Every sink kind's settings, told apart by `kind`. */
export type SinkConfig = FileSinkConfig | { readonly kind: "stdout" };

/** The sinks this collector has: what `sink` accepts, and what infra/ may configure. */
export const SINK_KINDS = ["file", "stdout"] as const satisfies readonly SinkConfig["kind"][];

export function createSink(config: SinkConfig): Sink {
  switch (config.kind) {
    case "file":
      return new FileSink(config);
    case "stdout":
      return new StdoutSink();
  }
}
