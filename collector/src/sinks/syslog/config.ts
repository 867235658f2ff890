import type { OptionReader } from "../../config/option-reader.ts";
import { parseByteSize, type Parsed } from "../../config/values.ts";
import { readRemoteConfig, type RemoteSinkConfig } from "../remote/config.ts";

/** The syslog sink's settings. */
export interface SyslogSinkConfig {
  readonly kind: "syslog";
  /** tcp://host:port or tls://host:port. */
  readonly remote: RemoteSinkConfig;
  readonly clientCertificate: string | undefined;
  readonly maxMessageBytes: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1_024;

export function readSyslogSinkConfig(options: OptionReader): SyslogSinkConfig {
  const remote = readRemoteConfig(options, parseSyslogUrl, "the syslog receiver, as tcp://host:port or tls://host:port.");
  const clientCertificate = options.existingFile("sinkClientCertificate", "a PEM file holding the client certificate and its private key");
  if (clientCertificate !== undefined && remote.url.startsWith("tcp:")) {
    options.problem(`${options.where("sinkClientCertificate")} needs a tls:// receiver (sinkUrl is ${remote.url}): use tls://, or remove the certificate.`);
  }
  const maxMessageBytes = options.value(
    "sinkMaxMessageBytes",
    (text) => {
      const parsed = parseByteSize(text);
      return parsed.ok && (parsed.value < 480 || parsed.value > 16 * 1_048_576)
        ? { ok: false, expected: "a size from 480 bytes (RFC 5424's minimum) to 16MiB" }
        : parsed;
    },
    DEFAULT_MAX_MESSAGE_BYTES,
  );
  return { kind: "syslog", remote, clientCertificate, maxMessageBytes };
}

function parseSyslogUrl(text: string): Parsed<string> {
  const expected = "tcp://host:port or tls://host:port (RFC 5424 over TCP with octet counting, or over TLS)";
  try {
    const url = new URL(text.trim());
    if ((url.protocol === "tcp:" || url.protocol === "tls:") && url.hostname !== "" && url.port !== "" && (url.pathname === "" || url.pathname === "/")) {
      return { ok: true, value: `${url.protocol}//${url.host}` };
    }
  } catch {
    // reported below
  }
  return { ok: false, expected };
}
