/** Every sink the collector can deliver to (`sink` option); each has a folder under sinks/ and an entry in registry.ts. */
export const SINK_KINDS = ["file", "stdout", "http", "syslog", "sentinel", "azblob"] as const;
export type SinkKind = (typeof SINK_KINDS)[number];
