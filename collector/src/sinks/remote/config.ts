import type { OptionReader } from "../../config/option-reader.ts";
import { parseDuration, parseInteger, type Parsed } from "../../config/values.ts";
import { DEFAULT_DRIVER_SETTINGS, type DriverSettings } from "./driver.ts";

/** What every remote sink reads from the shared options (remote/options.ts). */
export interface RemoteSinkConfig {
  readonly url: string;
  /** The destination's credential; never logged, never in a message. */
  readonly secret: string | undefined;
  /** PEM CA file trusted for this destination only, besides the system's CAs. */
  readonly caFile: string | undefined;
  readonly driver: DriverSettings;
  readonly deadLetterDirectory: string;
}

/** Reads the shared remote options; `parseUrl` decides which URLs this sink takes, `what` says what the URL is for. */
export function readRemoteConfig(options: OptionReader, parseUrl: (text: string) => Parsed<string>, what: string): RemoteSinkConfig {
  const defaults = DEFAULT_DRIVER_SETTINGS;
  const timeoutInMs = options.value("sinkTimeout", (text) => withinRange(parseDuration(text), 1_000, 600_000, "1s to 10m"), defaults.timeoutInMs);
  const maxElapsedInMs = options.value(
    "sinkMaxElapsed",
    (text) => withinRange(parseDuration(text), 1_000, 86_400_000, "1s to 24h"),
    defaults.retry.maxElapsedInMs,
  );
  return {
    url: options.required("sinkUrl", parseUrl, "", what),
    secret: options.value<string | undefined>("sinkSecret", (text) => ({ ok: true, value: text }), undefined),
    caFile: options.existingFile("sinkCaFile", "the PEM CA certificate that signs the destination's TLS certificate"),
    driver: {
      concurrency: options.value("sinkConcurrency", (text) => parseInteger(text, 1, 64), defaults.concurrency),
      timeoutInMs,
      retry: { ...defaults.retry, maxElapsedInMs },
    },
    deadLetterDirectory: options.path("deadLetter", "auditfeed-data/dead-letter"),
  };
}

function withinRange(parsed: Parsed<number>, min: number, max: number, range: string): Parsed<number> {
  if (!parsed.ok) return parsed;
  return parsed.value < min || parsed.value > max ? { ok: false, expected: `a duration from ${range}` } : parsed;
}
