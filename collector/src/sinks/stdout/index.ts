import type { SinkDefinition } from "../registry.ts";
import { StdoutSink } from "./stdout-sink.ts";

export interface StdoutSinkConfig {
  readonly kind: "stdout";
}

export const stdoutSink: SinkDefinition<StdoutSinkConfig> = {
  kind: "stdout",
  delivery: () => "at-least-once",
  readConfig: () => ({ kind: "stdout" }),
  create: () => new StdoutSink(),
};
