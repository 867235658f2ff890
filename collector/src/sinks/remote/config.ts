import { readBlobFolder } from "../../config/blob-folder.ts";
import type { OptionReader } from "../../config/option-reader.ts";
import { isAzblobLocation } from "../../config/state-location.ts";
import { parseDuration, parseInteger, type Parsed } from "../../config/values.ts";
import type { DeadLetterLocation } from "./dead-letter-location.ts";
import { DEFAULT_DRIVER_SETTINGS, type DriverSettings } from "./driver.ts";

/** What every remote sink reads from the shared options (remote/options.ts). */
export interface RemoteSinkConfig {
  readonly url: string;
  /** The destination's credential; never logged, never in a message. */
  readonly secret: string | undefined;
  /** PEM CA file trusted for this destination only, besides the system's CAs. */
  readonly caFile: string | undefined;
  readonly driver: DriverSettings;
  readonly deadLetter: DeadLetterLocation;
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
    deadLetter: readDeadLetter(options),
  };
}

/** A folder, or azblob://<account>/<container>[/<prefix>] with the endpoint and key options of its own. */
function readDeadLetter(options: OptionReader): DeadLetterLocation {
  const keys = { location: "deadLetter", endpoint: "deadLetterBlobEndpoint", accountKey: "deadLetterAccountKey" } as const;
  const text = options.value<string | undefined>("deadLetter", (value) => ({ ok: true, value }), undefined);
  if (text !== undefined && isAzblobLocation(text)) {
    const folder = readBlobFolder(options, keys, text);
    return folder === undefined ? { kind: "folder", directory: "" } : { kind: "azblob", folder };
  }
  for (const key of [keys.endpoint, keys.accountKey]) {
    const where = options.where(key);
    if (where !== undefined) options.problem(`${where} is set, but the dead letter is a local folder: it only applies to an azblob:// deadLetter. Remove it.`);
  }
  return { kind: "folder", directory: options.path("deadLetter", "auditfeed-data/dead-letter") };
}

function withinRange(parsed: Parsed<number>, min: number, max: number, range: string): Parsed<number> {
  if (!parsed.ok) return parsed;
  return parsed.value < min || parsed.value > max ? { ok: false, expected: `a duration from ${range}` } : parsed;
}
