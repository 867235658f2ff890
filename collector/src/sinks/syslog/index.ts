import { hostname } from "node:os";
import { createDeadLetter } from "../remote/dead-letter-location.ts";
import { RemoteSink } from "../remote/remote-sink.ts";
import type { SinkDefinition } from "../registry.ts";
import { checkPassed, unreachableSink, type SinkCheckDependencies, type SinkCheckResult } from "../sink-check.ts";
import { readSyslogSinkConfig, type SyslogSinkConfig } from "./config.ts";
import { SyslogConnection, syslogTls } from "./connection.ts";
import { headerField, octetCounted, syslogMessage } from "./rfc5424.ts";

export type { SyslogSinkConfig } from "./config.ts";

/** Frames per write: large enough to keep syscalls few, small enough that a failed batch costs little to resend. */
const BATCH = { maxRecords: 500, maxBytes: 1_048_576 };

/**
 * RFC 5424 over one TCP or TLS stream with octet counting (RFC 6587), at least once: plain syslog has no
 * acknowledgement, so a batch counts as delivered once the kernel has it; after a connection failure or a crash before
 * the commit, the batch is sent again. See README.md.
 */
/**
 * Doctor's check: DNS and TCP, and for tls:// the handshake with the sink's CA and client certificate. Syslog has no
 * request that delivers nothing, so that is all; the handshake is held to TLS 1.2, whose handshake ends only after the
 * receiver accepted (or did not ask for) a client certificate, so a refusal shows here and not at the first message.
 */
async function check(config: SyslogSinkConfig, { signal }: SinkCheckDependencies): Promise<SinkCheckResult> {
  const url = new URL(config.remote.url);
  const tls = url.protocol === "tls:";
  const withCertificate = config.clientCertificate !== undefined;
  const unreachable = await unreachableSink(config.remote.url, {
    ...(tls ? { tls: { ...syslogTls({ caFile: config.remote.caFile, clientCertificate: config.clientCertificate }), maxVersion: "TLSv1.2" as const } } : {}),
    signal,
    refusedFix: withCertificate
      ? "The receiver refused the certificate of sinkClientCertificate: it must be signed by a CA the receiver trusts, be valid now, and allow client authentication (extended key usage)."
      : "The receiver asks for a client certificate: give one with sinkClientCertificate (a PEM file with the certificate and its key, signed by a CA the receiver trusts).",
  });
  if (unreachable !== undefined) return unreachable;
  return checkPassed(
    tls
      ? `${url.host} accepts TLS${withCertificate ? " and the client certificate" : ""} (syslog has no request that delivers nothing, so the first message checks the rest).`
      : `${url.host} accepts TCP connections (plain syslog has no authentication to check).`,
  );
}

export const syslogSink: SinkDefinition<SyslogSinkConfig> = {
  kind: "syslog",
  delivery: () => "at-least-once",
  readConfig: readSyslogSinkConfig,
  check,
  create: (config, { logger, signal }) => {
    const url = new URL(config.remote.url);
    const host = headerField(hostname(), 255);
    // A frame's size is its message plus the length prefix; the largest frame a message of the limit can make.
    const maxRecordBytes = config.maxMessageBytes + String(config.maxMessageBytes).length + 1;
    return new RemoteSink({
      name: "syslog",
      delivery: "at-least-once",
      connect: () => {
        const connection = new SyslogConnection({
          host: url.hostname.replace(/^\[|\]$/g, ""),
          port: Number(url.port),
          tls: url.protocol === "tls:",
          caFile: config.remote.caFile,
          clientCertificate: config.clientCertificate,
        });
        return {
          name: "syslog",
          limits: { ...BATCH, maxRecordBytes },
          size: (record) => Buffer.byteLength(octetCounted(syslogMessage(record, host))),
          send: async (batch, requestSignal) => {
            let payload = "";
            for (const record of batch) payload += octetCounted(syslogMessage(record, host));
            await connection.write(payload, requestSignal);
            return { kind: "ok" };
          },
          close: () => connection.close(),
        };
      },
      deadLetter: createDeadLetter(config.remote.deadLetter, "syslog", logger),
      // One stream: records arrive in the order they were written.
      settings: { ...config.remote.driver, concurrency: 1 },
      logger,
      signal,
    });
  },
};
