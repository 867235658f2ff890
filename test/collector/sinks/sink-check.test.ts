import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { HttpSinkConfig } from "../../../collector/src/sinks/http/config.ts";
import { checkSink, type SinkConfig } from "../../../collector/src/sinks/registry.ts";
import type { SinkCheckResult } from "../../../collector/src/sinks/sink-check.ts";
import type { SyslogSinkConfig } from "../../../collector/src/sinks/syslog/config.ts";
import { DEFAULT_DRIVER_SETTINGS } from "../../../collector/src/sinks/remote/driver.ts";
import { createCertificateAuthority } from "../../../emulator/src/tls.ts";
import { SECRET, startIntake, type IntakeServer } from "./fixtures/intake-server.ts";
import { startRsyslog, type Rsyslog } from "./fixtures/rsyslog.ts";
import { unusedPort } from "../../fixtures/ports.ts";

const root = mkdtempSync(join(tmpdir(), "auditfeed-sink-check-"));
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  rmSync(root, { recursive: true, force: true });
});

let files = 0;
function file(text: string): string {
  const path = join(root, `file-${files++}.pem`);
  writeFileSync(path, text);
  return path;
}

function run(config: SinkConfig): Promise<SinkCheckResult> {
  const checked = checkSink(config, {
    signal: undefined,
    credential: () => {
      throw new Error("no sink checked here signs in with a managed identity");
    },
  });
  if (checked === undefined) throw new Error(`the ${config.kind} sink has no check`);
  return checked;
}

const remote = (url: string, overrides: Partial<HttpSinkConfig["remote"]> = {}): HttpSinkConfig["remote"] => ({
  url,
  secret: SECRET,
  caFile: undefined,
  driver: { ...DEFAULT_DRIVER_SETTINGS, timeoutInMs: 1_500 },
  deadLetter: { kind: "folder", directory: join(root, "dead-letter") },
  ...overrides,
});

describe("doctor's check of the http sink, against local TLS intakes", () => {
  const intakes = new Map<string, IntakeServer>();
  async function intake(preset: HttpSinkConfig["preset"]): Promise<IntakeServer> {
    const started = await startIntake(preset);
    closers.push(() => started.close());
    intakes.set(preset, started);
    return started;
  }
  function http(
    started: IntakeServer,
    preset: HttpSinkConfig["preset"],
    overrides: Partial<HttpSinkConfig> = {},
    over: Partial<HttpSinkConfig["remote"]> = {},
  ): HttpSinkConfig {
    return {
      kind: "http",
      preset,
      remote: remote(started.url, { caFile: file(started.caPem), ...over }),
      index: preset === "elasticsearch" ? "o365-audit" : undefined,
      ack: false,
      header: "X-Api-Key",
      gzip: true,
      limits: {},
      ...overrides,
    };
  }

  it("splunk-hec: should pass a healthy HEC that takes the token, with indexer acknowledgement, and index nothing", async () => {
    const hec = await intake("splunk-hec");
    const result = await run(http(hec, "splunk-hec", { ack: true }));
    expect(result).toEqual({ ok: true, summary: expect.stringContaining("HEC is healthy and accepts the token, with indexer acknowledgement") as string });
    expect(hec.requests.map((request) => request.path)).toEqual(["/services/collector/health", "/services/collector/event", "/services/collector/ack"]);
    expect(hec.stored).toEqual([]);
  });

  it("splunk-hec: an unhealthy HEC fails with what to ask of the Splunk administrator", async () => {
    const hec = await intake("splunk-hec");
    hec.settings.unhealthy = true;
    const result = await run(http(hec, "splunk-hec"));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("HEC reports itself unhealthy (HTTP 503") as string });
    expect(result.ok ? "" : result.fix).toContain("indexing queues are full");
  });

  it("splunk-hec: a wrong token fails with where to copy the right one, and the token is never shown", async () => {
    const hec = await intake("splunk-hec");
    const result = await run(http(hec, "splunk-hec", {}, { secret: "not-the-token" }));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("HEC refused the token (HTTP 403") as string });
    expect(result.ok ? "" : result.fix).toContain("Set sinkSecret (AUDITFEED_SINK_SECRET) to the token value");
    expect(JSON.stringify(result)).not.toContain("not-the-token");
  });

  it("splunk-hec: sinkAck on with a token without indexer acknowledgement fails with both ways out", async () => {
    const hec = await intake("splunk-hec");
    hec.settings.ackDisabled = true;
    const result = await run(http(hec, "splunk-hec", { ack: true }));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("the token has indexer acknowledgement off") as string });
    expect(result.ok ? "" : result.fix).toBe("Turn on 'Enable indexer acknowledgement' on the HEC token, or set sinkAck off.");
  });

  it("splunk-hec: a sinkUrl with a path fails at the health endpoint, asking for the base URL", async () => {
    const hec = await intake("splunk-hec");
    const result = await run(http(hec, "splunk-hec", {}, { url: `${hec.url}/services/collector` }));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("HEC's health endpoint answered HTTP 404") as string });
    expect(result.ok ? "" : result.fix).toContain("Set sinkUrl to the HEC base URL");
  });

  it("splunk-hec: an intake that accepts the connection and never answers fails within the request timeout", async () => {
    const hec = await intake("splunk-hec");
    hec.faults.push("hang");
    const started = Date.now();
    const result = await run(http(hec, "splunk-hec"));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("accepted the connection but the splunk-hec check request failed") as string });
    expect(result.ok ? "" : result.fix).toContain("sinkTimeout (1.5 s)");
  });

  it("elasticsearch: should pass with the cluster's name and version, and fail a refused API key with what the key must be", async () => {
    const elastic = await intake("elasticsearch");
    expect(await run(http(elastic, "elasticsearch"))).toEqual({
      ok: true,
      summary: "cluster intake (elasticsearch 8.15.0) answers and accepts the API key.",
    });
    const refused = await run(http(elastic, "elasticsearch", {}, { secret: "expired-key" }));
    expect(refused).toMatchObject({ ok: false, summary: expect.stringContaining("The cluster refused the API key (HTTP 401") as string });
    expect(refused.ok ? "" : refused.fix).toContain("the API key's encoded value");
    expect(elastic.stored).toEqual([]);
  });

  it.each(["sekoia", "webhook"] as const)("%s: should pass on reachability alone and say the first delivery checks the credential", async (preset) => {
    const started = await intake(preset);
    const result = await run(http(started, preset));
    expect(result).toMatchObject({ ok: true, summary: expect.stringContaining("so the first delivery does") as string });
    expect(started.requests).toEqual([]);
  });

  it("should fail an intake whose certificate is not trusted, pointing at sinkCaFile", async () => {
    const hec = await intake("splunk-hec");
    const result = await run(http(hec, "splunk-hec", {}, { caFile: undefined }));
    expect(result).toMatchObject({ ok: false, summary: expect.stringMatching(/^The TLS certificate of 127\.0\.0\.1:\d+ is not trusted \(/) as string });
    expect(result.ok ? "" : result.fix).toContain("sinkCaFile (--sink-ca-file, AUDITFEED_SINK_CA_FILE)");
  });

  it("should fail a port nothing listens on, asking for the port and the firewall", async () => {
    const hec = await intake("splunk-hec");
    const port = await unusedPort();
    const result = await run(http(hec, "splunk-hec", {}, { url: `https://127.0.0.1:${port}` }));
    expect(result).toMatchObject({ ok: false, summary: `No TCP connection to 127.0.0.1:${port} (ECONNREFUSED).` });
    expect(result.ok ? "" : result.fix).toContain("Check the port in sinkUrl");
  });

  it("should fail a host that does not resolve, naming it", async () => {
    const hec = await intake("splunk-hec");
    const result = await run(http(hec, "splunk-hec", {}, { url: "https://auditfeed-sink.invalid:8088" }));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("DNS cannot resolve auditfeed-sink.invalid") as string });
    expect(result.ok ? "" : result.fix).toContain("Check the host name in sinkUrl");
  });
});

describe("doctor's check of the syslog sink, against a TCP receiver and a real rsyslogd over TLS", () => {
  const authority = createCertificateAuthority();
  const serverCertificate = authority.issueServerCertificate(["127.0.0.1"]);
  const client = authority.issueClientCertificate("auditfeed-collector");
  /** A certificate the receiver refuses from a client: a server's (no clientAuth). */
  const notForClients = authority.issueServerCertificate(["not-a-client"]);

  async function listen(server: Server): Promise<string> {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    closers.push(async () => {
      server.close();
      await once(server, "close").catch(() => undefined);
    });
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  let receiver: Rsyslog | undefined;
  /** A real rsyslogd over TLS that requires a client certificate signed by the test CA (x509/certvalid). */
  async function tlsReceiver(): Promise<string> {
    if (receiver === undefined) {
      const directory = join(root, "rsyslog");
      mkdirSync(directory, { recursive: true });
      const started = await startRsyslog(directory, {
        maxMessageBytes: 65_536,
        tls: { caPem: authority.caPem, certPem: serverCertificate.certPem, keyPem: serverCertificate.keyPem, requireClientCertificate: true },
      });
      closers.push(() => started.stop());
      receiver = started;
    }
    return `127.0.0.1:${receiver.port}`;
  }
  const syslog = (url: string, caFile: string | undefined, clientCertificate?: string): SyslogSinkConfig => ({
    kind: "syslog",
    remote: remote(url, { caFile }),
    clientCertificate,
    maxMessageBytes: 65_536,
  });

  it("tcp: should pass a receiver that accepts the connection, and fail a closed port", async () => {
    const where = await listen(createTcpServer((socket) => socket.end()));
    expect(await run(syslog(`tcp://${where}`, undefined))).toEqual({
      ok: true,
      summary: `${where} accepts TCP connections (plain syslog has no authentication to check).`,
    });
    const port = await unusedPort();
    expect(await run(syslog(`tcp://127.0.0.1:${port}`, undefined))).toMatchObject({
      ok: false,
      summary: `No TCP connection to 127.0.0.1:${port} (ECONNREFUSED).`,
    });
  });

  it("tls: should pass with the CA and a client certificate the receiver trusts, and send no message", async () => {
    const where = await tlsReceiver();
    const result = await run(syslog(`tls://${where}`, file(authority.caPem), file(`${client.certPem}${client.keyPem}`)));
    expect(result).toMatchObject({ ok: true, summary: expect.stringContaining(`${where} accepts TLS and the client certificate`) as string });
    expect(receiver?.received()).toEqual([]);
  });

  it("tls: should fail a client certificate the receiver refuses, and a missing one, each with its fix", async () => {
    const where = await tlsReceiver();
    const refused = await run(syslog(`tls://${where}`, file(authority.caPem), file(`${notForClients.certPem}${notForClients.keyPem}`)));
    expect(refused).toMatchObject({ ok: false, summary: expect.stringContaining(`${where} refused the TLS handshake`) as string });
    expect(refused.ok ? "" : refused.fix).toContain("The receiver refused the certificate of sinkClientCertificate");
    const missing = await run(syslog(`tls://${where}`, file(authority.caPem)));
    expect(missing).toMatchObject({ ok: false, summary: expect.stringContaining(`${where} refused the TLS handshake`) as string });
    expect(missing.ok ? "" : missing.fix).toContain("The receiver asks for a client certificate: give one with sinkClientCertificate");
  });

  it("tls: should fail a receiver whose certificate is not trusted, pointing at sinkCaFile", async () => {
    const where = await tlsReceiver();
    const result = await run(syslog(`tls://${where}`, undefined, file(`${client.certPem}${client.keyPem}`)));
    expect(result).toMatchObject({ ok: false, summary: expect.stringContaining("is not trusted") as string });
    expect(result.ok ? "" : result.fix).toContain("sinkCaFile");
  });
});
