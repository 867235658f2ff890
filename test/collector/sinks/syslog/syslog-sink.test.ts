import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { isAuditfeedError } from "../../../../collector/src/errors.ts";
import { DEFAULT_DRIVER_SETTINGS } from "../../../../collector/src/sinks/remote/driver.ts";
import { createSink } from "../../../../collector/src/sinks/registry.ts";
import type { OutboundRecord } from "../../../../collector/src/sinks/sink.ts";
import type { SyslogSinkConfig } from "../../../../collector/src/sinks/syslog/config.ts";
import { createCertificateAuthority } from "../../../../emulator/src/tls.ts";
import { describeSinkContract, outbound } from "../contract.ts";
import { folderOf, sinkDependencies } from "../fixtures/dependencies.ts";
import { startRsyslog, structuredId, type Rsyslog } from "../fixtures/rsyslog.ts";

const MAX_MESSAGE_BYTES = 16_384;
const root = mkdtempSync(join(tmpdir(), "auditfeed-syslog-"));
const authority = createCertificateAuthority();
const server = authority.issueServerCertificate(["127.0.0.1"]);
const client = authority.issueClientCertificate("auditfeed-collector");
/** A certificate the receiver refuses for a client (it is a server's: no clientAuth). */
const refused = authority.issueServerCertificate(["not-a-client"]);

function subdirectory(name: string): string {
  const path = join(root, name);
  mkdirSync(path, { recursive: true });
  return path;
}
const plain = await startRsyslog(subdirectory("plain"), { maxMessageBytes: MAX_MESSAGE_BYTES });
const tls = await startRsyslog(subdirectory("tls"), {
  maxMessageBytes: MAX_MESSAGE_BYTES,
  tls: { caPem: authority.caPem, certPem: server.certPem, keyPem: server.keyPem, requireClientCertificate: true },
});
afterAll(async () => {
  await Promise.all([plain.stop(), tls.stop()]);
  rmSync(root, { recursive: true, force: true });
});
const caFile = join(root, "ca.pem");
writeFileSync(caFile, authority.caPem);
const clientFile = join(root, "client.pem");
writeFileSync(clientFile, `${client.certPem}${client.keyPem}`);
const refusedFile = join(root, "refused.pem");
writeFileSync(refusedFile, `${refused.certPem}${refused.keyPem}`);

let configs = 0;
function syslogConfig(receiver: Rsyslog, overrides: Partial<SyslogSinkConfig["remote"]> = {}, clientCertificate?: string): SyslogSinkConfig {
  return {
    kind: "syslog",
    remote: {
      url: `${receiver === tls ? "tls" : "tcp"}://127.0.0.1:${receiver.port}`,
      secret: undefined,
      caFile: receiver === tls ? caFile : undefined,
      driver: { ...DEFAULT_DRIVER_SETTINGS, timeoutInMs: 5_000, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 200, maxElapsedInMs: 2_000 } },
      deadLetter: { kind: "folder", directory: join(root, `dead-letter-${configs++}`) },
      ...overrides,
    },
    clientCertificate,
    maxMessageBytes: MAX_MESSAGE_BYTES,
  };
}

/** Waits until rsyslogd has written everything it got (the count stops changing). */
async function settled(receiver: Rsyslog): Promise<ReturnType<Rsyslog["received"]>> {
  let previous = -1;
  for (;;) {
    const messages = receiver.received();
    if (messages.length === previous) return messages;
    previous = messages.length;
    await sleep(300);
  }
}

let baseline = 0;
const config = syslogConfig(plain);
describeSinkContract({
  kind: "syslog",
  config,
  create: () => createSink(config, sinkDependencies()),
  delivered: async () => (await settled(plain)).slice(baseline).map((message) => structuredId(message) ?? "(no id)"),
  reset: async () => {
    baseline = (await settled(plain)).length;
  },
});

describe("syslog sink against a real rsyslogd", () => {
  it("should deliver every record intact: RFC 5424 with CreationTime, the content type as MSGID and in structured data with the Id, the JSON as MSG", async () => {
    const start = (await settled(plain)).length;
    const tricky: OutboundRecord[] = [
      {
        id: 'q"uo]te\\d',
        contentType: "Audit.Exchange",
        creationTime: "2026-11-20T10:00:01.000Z",
        json: JSON.stringify({ Id: 'q"uo]te\\d', Name: "Zoë ☃ 東京" }),
      },
      { id: "no-time", contentType: "DLP.All", creationTime: null, json: JSON.stringify({ Id: "no-time", Nested: { A: [1, 2, { B: "]" }] } }) },
      ...outbound(300, "intact"),
    ];
    const sink = createSink(config, sinkDependencies());
    await sink.open(null);
    await sink.write(tricky);
    await sink.flush();
    await sink.close();
    const messages = (await plain.waitFor(start + tricky.length)).slice(start);
    expect(messages).toHaveLength(tricky.length);
    const byId = new Map(messages.map((message) => [structuredId(message), message]));
    for (const record of tricky) {
      const message = byId.get(record.id);
      expect(message?.msg, record.id).toBe(record.json);
      expect(message?.msgid).toBe(record.contentType);
      expect(message?.appName).toBe("auditfeed");
      expect(message?.structuredData).toContain(`contentType="${record.contentType}"`);
      if (record.creationTime !== null) expect(new Date(message?.timestamp ?? "").toISOString()).toBe(record.creationTime);
    }
  });

  it("should put a record larger than the receiver's message limit in the dead letter, whole, and deliver the others", async () => {
    const start = (await settled(plain)).length;
    const sinkConfig = syslogConfig(plain);
    const big: OutboundRecord = {
      id: "too-big",
      contentType: "Audit.SharePoint",
      creationTime: null,
      json: JSON.stringify({ Id: "too-big", Pad: "x".repeat(MAX_MESSAGE_BYTES) }),
    };
    const sink = createSink(sinkConfig, sinkDependencies());
    await sink.open(null);
    await sink.write([...outbound(5, "small"), big]);
    await sink.flush();
    await sink.close();
    expect((await settled(plain)).slice(start)).toHaveLength(5);
    const [line] = readFileSync(join(folderOf(sinkConfig.remote.deadLetter), "syslog-dead-letter.ndjson"), "utf8").split("\n");
    const entry = JSON.parse(line ?? "") as { id: string; reason: string; record: unknown };
    expect(entry.id).toBe("too-big");
    expect(entry.reason).toMatch(/more than the 16390 bytes the destination accepts for one record/);
    expect(entry.record).toEqual(JSON.parse(big.json));
  });

  it("should deliver over TLS with the receiver's CA and a client certificate it verifies", async () => {
    const start = (await settled(tls)).length;
    const sink = createSink(syslogConfig(tls, {}, clientFile), sinkDependencies());
    await sink.open(null);
    const records = outbound(50, "tls");
    await sink.write(records);
    await sink.flush();
    await sink.close();
    const messages = (await tls.waitFor(start + 50)).slice(start);
    expect(messages.map(structuredId).sort()).toEqual(records.map((record) => record.id).sort());
  });

  it("should not count a batch as delivered when the receiver refuses the client certificate", async () => {
    const start = (await settled(tls)).length;
    const sink = createSink(syslogConfig(tls, {}, refusedFile), sinkDependencies());
    await sink.open(null);
    await sink.write(outbound(3, "refused"));
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    await sink.close();
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_TLS");
    expect((error as Error).message).toMatch(/refused the TLS handshake \([\w/]*UNSUPPORTED_CERTIFICATE\): check sinkClientCertificate/);
    expect((await settled(tls)).slice(start)).toEqual([]);
  });

  it("should refuse a receiver whose certificate it cannot verify, naming sinkCaFile", async () => {
    const sink = createSink(syslogConfig(tls, { caFile: undefined }, clientFile), sinkDependencies());
    await sink.open(null);
    await sink.write(outbound(1, "untrusted"));
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    await sink.close();
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_TLS");
    expect((error as Error).message).toContain("sinkCaFile");
  });
});
