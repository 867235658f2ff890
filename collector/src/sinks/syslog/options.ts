import type { OptionSpec } from "../../config/options.ts";

/** The syslog sink's own settings (the shared remote ones are in remote/options.ts). */
export const SYSLOG_SINK_OPTIONS = [
  {
    key: "sinkClientCertificate",
    flag: "--sink-client-certificate",
    env: "AUDITFEED_SINK_CLIENT_CERTIFICATE",
    description: "PEM file with the client certificate and its private key, for a tls:// receiver that authenticates its senders.",
    defaultText: "none",
    isPath: true,
    secretFile: true,
    sinks: ["syslog"],
  },
  {
    key: "sinkMaxMessageBytes",
    flag: "--sink-max-message-bytes",
    env: "AUDITFEED_SINK_MAX_MESSAGE_BYTES",
    description:
      "Largest syslog message the receiver accepts (rsyslog: global maxMessageSize). A record that does not fit goes to the dead letter whole, never truncated.",
    defaultText: "64KiB",
    sinks: ["syslog"],
  },
] as const satisfies readonly OptionSpec[];
