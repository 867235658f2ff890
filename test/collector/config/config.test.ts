import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configHelp, defaultConfig, loadConfig, type CollectorConfig } from "../../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../../collector/src/errors.ts";
import { managementBaseUrl } from "../../../collector/src/source/management-client.ts";
import { createClientCertificate } from "../../../emulator/src/tls.ts";

const CERTIFICATE = createClientCertificate("auditfeed-config-test");
const TENANT = "c0ffee00-1111-4a2b-8c3d-123456789abc";
const CLIENT = "5e1f2a3b-0000-4c5d-8e9f-a0b1c2d3e4f5";
const SECRET = "very-secret-value-42";
const cwd = mkdtempSync(join(tmpdir(), "auditfeed-config-"));
const minimalEnv = { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT, AUDITFEED_CLIENT_SECRET: SECRET };

function load(argv: string[], env: NodeJS.ProcessEnv = minimalEnv): CollectorConfig {
  return loadConfig({ argv, env, cwd });
}

function problemsOf(argv: string[], env: NodeJS.ProcessEnv = minimalEnv): string {
  try {
    load(argv, env);
  } catch (error) {
    if (isAuditfeedError(error) && error.code === "AF_ERR_CONFIG") return error.message;
    throw error;
  }
  throw new Error("expected AF_ERR_CONFIG");
}

function writeFile(name: string, content: unknown): string {
  const path = join(cwd, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("loadConfig – defaults and precedence", () => {
  it("should fill every default from defaultConfig when only the required settings are given", () => {
    const config = load([]);
    expect(config).toEqual({
      ...defaultConfig(cwd),
      tenantId: TENANT,
      clientId: CLIENT,
      credential: { kind: "secret", clientSecret: SECRET },
      publisherIdentifier: TENANT,
    });
    expect(config.contentTypes).toHaveLength(5);
    expect(config.lookbackMs).toBe(3_600_000);
    expect(config.requestsPerMinute).toBe(2000);
  });

  it("should let flags override the environment, and the environment override the file", () => {
    const file = writeFile("precedence.json", { lookback: "2d", pollInterval: "10m", fetchConcurrency: 2, cloud: "gcc" });
    const config = load(["--config", file, "--lookback=3h"], { ...minimalEnv, AUDITFEED_LOOKBACK: "5h", AUDITFEED_POLL_INTERVAL: "30s" });
    expect(config.lookbackMs).toBe(3 * 3_600_000);
    expect(config.pollIntervalMs).toBe(30_000);
    expect(config.fetchConcurrency).toBe(2);
    expect(config.cloud).toBe("gcc");
  });

  it("should read the config file named by AUDITFEED_CONFIG and resolve its paths against its folder", () => {
    const file = writeFile("paths.json", {
      tenantId: TENANT,
      clientId: CLIENT,
      clientSecret: SECRET,
      state: "state/s.sqlite",
      sinkDir: "out",
      contentTypes: ["DLP.All", "Audit.General"],
    });
    const config = load([], { AUDITFEED_CONFIG: file });
    expect(config.state).toEqual({ kind: "sqlite", path: join(cwd, "state/s.sqlite") });
    expect(config.sink).toEqual({ kind: "file", directory: join(cwd, "out"), rotateBytes: 128 * 1_048_576 });
    expect(config.contentTypes).toEqual(["DLP.All", "Audit.General"]);
  });

  it("should read every environment variable the container uses", () => {
    const caFile = writeFile("ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
    const config = load([], {
      ...minimalEnv,
      AUDITFEED_CLOUD: "dod",
      AUDITFEED_PUBLISHER_ID: "9A8B7C6D-0000-4E5F-8A9B-0C1D2E3F4A5B",
      AUDITFEED_CONTENT_TYPES: "Audit.Exchange, Audit.SharePoint",
      AUDITFEED_SINK: "stdout",
      AUDITFEED_STATE: "/var/lib/auditfeed/state.sqlite",
      AUDITFEED_LOOKBACK: "7d",
      AUDITFEED_MANAGEMENT_URL: "https://127.0.0.1:8443/",
      AUDITFEED_AUTHORITY_URL: "https://127.0.0.1:8444",
      AUDITFEED_CA_FILE: caFile,
      AUDITFEED_LOG_LEVEL: "debug",
      AUDITFEED_REQUESTS_PER_MINUTE: "500",
    });
    expect(config).toMatchObject({
      cloud: "dod",
      publisherIdentifier: "9a8b7c6d-0000-4e5f-8a9b-0c1d2e3f4a5b",
      contentTypes: ["Audit.Exchange", "Audit.SharePoint"],
      sink: { kind: "stdout" },
      state: { kind: "sqlite", path: "/var/lib/auditfeed/state.sqlite" },
      lookbackMs: 7 * 86_400_000,
      endpoints: { managementUrl: "https://127.0.0.1:8443", authorityUrl: "https://127.0.0.1:8444", caFile },
      logLevel: "debug",
      requestsPerMinute: 500,
    });
  });

  it("should refuse an option of another sink than the one chosen, naming both and the fix", () => {
    expect(problemsOf(["--sink", "stdout"], { ...minimalEnv, AUDITFEED_SINK_ROTATE_BYTES: "1MiB" })).toContain(
      "AUDITFEED_SINK_ROTATE_BYTES configures the file sink, but the sink is stdout: remove it, or choose that sink with --sink, AUDITFEED_SINK",
    );
  });

  it("should read a sink's options from its folder's part of the table, with the shared remote ones", () => {
    const config = load(
      ["--sink", "http", "--sink-preset", "elasticsearch", "--sink-url", "https://es.example:9200/", "--sink-index", "o365", "--sink-timeout", "10s"],
      {
        ...minimalEnv,
        AUDITFEED_SINK_SECRET: "api-key",
      },
    );
    expect(config.sink).toMatchObject({
      kind: "http",
      preset: "elasticsearch",
      index: "o365",
      gzip: true,
      remote: {
        url: "https://es.example:9200",
        secret: "api-key",
        driver: { timeoutInMs: 10_000, concurrency: 4 },
        deadLetter: { kind: "folder", directory: join(cwd, "auditfeed-data/dead-letter") },
      },
    });
    expect(load(["--sink", "syslog", "--sink-url", "tls://siem.example:6514"]).sink).toMatchObject({
      kind: "syslog",
      remote: { url: "tls://siem.example:6514" },
      maxMessageBytes: 65_536,
    });
  });

  it("should read the sentinel sink's endpoint, rule and stream, with the audience of the cloud's Azure Monitor", () => {
    const endpoint = "https://auditfeed-dce-a1b2.westeurope-1.ingest.monitor.azure.com";
    expect(load(["--sink", "sentinel", "--sink-url", `${endpoint}/`, "--sink-rule-id", "dcr-0123456789abcdef0123456789abcdef"]).sink).toEqual({
      kind: "sentinel",
      remote: expect.objectContaining({ url: endpoint, secret: undefined }) as unknown,
      ruleId: "dcr-0123456789abcdef0123456789abcdef",
      stream: "Custom-AuditfeedM365_CL",
      audience: "https://monitor.azure.com",
    });
    const gov = load([
      "--cloud",
      "gcchigh",
      "--sink",
      "sentinel",
      "--sink-url",
      "https://dce.usgovvirginia-1.ingest.monitor.azure.us",
      "--sink-rule-id",
      "dcr-0123456789abcdef0123456789abcdef",
      "--sink-stream",
      "Custom-Other_CL",
    ]).sink;
    expect(gov).toMatchObject({ stream: "Custom-Other_CL", audience: "https://monitor.azure.us" });
  });

  it("should treat an empty environment variable as unset", () => {
    expect(load([], { ...minimalEnv, AUDITFEED_CLOUD: "", AUDITFEED_LOOKBACK: "" }).cloud).toBe("commercial");
  });

  it("should refuse a flag it does not know, naming the closest option, and a stray argument", () => {
    const message = problemsOf(["--lookbak", "3h", "--tenant-id", TENANT, "positional", "--zzz"]);
    expect(message).toContain("--lookbak is not an option: did you mean --lookback?");
    expect(message).toContain("'positional' is not an option");
    expect(message).toContain("--zzz is not an option.");
    expect(message).not.toContain("'3h'");
  });

  it("should refuse an AUDITFEED_ variable it does not know, naming the closest one, and ignore other variables", () => {
    const message = problemsOf([], { ...minimalEnv, AUDITFEED_SINK_MAX_SEGMENT_BYTES: "1000", AUDITFEED_LOOKBAK: "3h", HOME: "/root" });
    expect(message).toContain("AUDITFEED_LOOKBAK is not an option: did you mean AUDITFEED_LOOKBACK?");
    expect(message).toContain("AUDITFEED_SINK_MAX_SEGMENT_BYTES is not an option");
    expect(message).not.toContain("HOME");
    expect(load([], { ...minimalEnv, HOME: "/root" }).lookbackMs).toBe(load([]).lookbackMs);
  });

  it.each([
    ["commercial", "https://manage.office.com"],
    ["gcc", "https://manage-gcc.office.com"],
    ["gcchigh", "https://manage.office365.us"],
    ["dod", "https://manage.protection.apps.mil"],
  ])("should map cloud %s to the Management API at %s", (cloud, url) => {
    expect(managementBaseUrl(load(["--cloud", cloud]))).toBe(url);
  });
});

describe("loadConfig – credentials", () => {
  it("should infer the certificate credential from a certificate path", () => {
    const pem = writeFile("app.pem", `${CERTIFICATE.certPem}\n${CERTIFICATE.keyPem}`);
    const config = load(["--certificate-path", "app.pem"], { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT });
    expect(config.credential).toEqual({ kind: "certificate", certificatePath: pem });
  });

  it.each([
    ["a DER or PFX file", "\u0030\u0082binary", "is not a PEM file with a certificate"],
    ["a certificate without its key", () => CERTIFICATE.certPem, "holds a certificate but no private key: append the key"],
    ["a PEM certificate that is damaged", () => "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds a certificate that cannot be read"],
    [
      "an encrypted key",
      () => `${CERTIFICATE.certPem}\n-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n`,
      "holds an encrypted private key",
    ],
  ])("should refuse %s as a configuration error naming the file and the fix", (_what, content, message) => {
    const path = writeFile("bad.pem", typeof content === "string" ? content : content());
    const problems = problemsOf(["--certificate-path", path], { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT });
    expect(problems).toContain(`--certificate-path names ${path}, which ${message}`);
    expect(problems).toContain("openssl");
  });

  it("should take a federated credential with a user-assigned identity", () => {
    const config = load(["--credential", "federated", "--managed-identity-client-id", "11111111-2222-4333-8444-555555555555"], {
      AUDITFEED_TENANT_ID: TENANT,
      AUDITFEED_CLIENT_ID: CLIENT,
    });
    expect(config.credential).toEqual({ kind: "federated", managedIdentityClientId: "11111111-2222-4333-8444-555555555555" });
  });

  it("should take workload identity when the platform set its token file", () => {
    const config = load([], {
      AUDITFEED_TENANT_ID: TENANT,
      AUDITFEED_CLIENT_ID: CLIENT,
      AUDITFEED_CREDENTIAL: "workload-identity",
      AZURE_FEDERATED_TOKEN_FILE: "/var/run/token",
    });
    expect(config.credential).toEqual({ kind: "workload-identity" });
  });

  it.each([
    [{ AUDITFEED_CREDENTIAL: "secret" }, "needs a client secret: set AUDITFEED_CLIENT_SECRET"],
    [{ AUDITFEED_CREDENTIAL: "certificate" }, "needs a PEM file: set --certificate-path, AUDITFEED_CERTIFICATE_PATH"],
    [{ AUDITFEED_CREDENTIAL: "certificate", AUDITFEED_CERTIFICATE_PATH: "/nope.pem" }, "AUDITFEED_CERTIFICATE_PATH names /nope.pem, which does not exist"],
    [{ AUDITFEED_CREDENTIAL: "workload-identity" }, "needs AZURE_FEDERATED_TOKEN_FILE"],
    [{ AUDITFEED_CREDENTIAL: "password" }, 'AUDITFEED_CREDENTIAL is "password": expected one of secret, certificate, federated, workload-identity'],
    [{}, "credential is missing"],
    [
      { AUDITFEED_CLIENT_SECRET: "s", AUDITFEED_CERTIFICATE_PATH: "/x.pem" },
      "Both a client secret (AUDITFEED_CLIENT_SECRET) and a certificate (AUDITFEED_CERTIFICATE_PATH) are set",
    ],
    [{ AUDITFEED_CREDENTIAL: "federated", AUDITFEED_MANAGED_IDENTITY_URL: "http://127.0.0.1:1" }, "needs IDENTITY_HEADER"],
  ])("should explain a credential problem: %j", (env, message) => {
    expect(problemsOf([], { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT, ...env })).toContain(message);
  });
});

describe("loadConfig – state in Azure Blob storage", () => {
  const base = { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT, AUDITFEED_CLIENT_SECRET: SECRET };
  const identity = "7f9c1a52-3b7e-4c1d-9a6e-2f4b8d0c5e31";

  it.each([
    ["commercial", "https://acct1.blob.core.windows.net"],
    ["gcc", "https://acct1.blob.core.windows.net"],
    ["gcchigh", "https://acct1.blob.core.usgovcloudapi.net"],
    ["dod", "https://acct1.blob.core.usgovcloudapi.net"],
  ])("should take azblob:// state with the %s cloud's blob endpoint and the managed identity", (cloud, accountUrl) => {
    const config = load([], {
      ...base,
      AUDITFEED_CLOUD: cloud,
      AUDITFEED_STATE: "azblob://acct1/auditfeed-state/tenant/a",
      AUDITFEED_MANAGED_IDENTITY_CLIENT_ID: identity,
    });
    expect(config.state).toEqual({
      kind: "azblob",
      account: "acct1",
      container: "auditfeed-state",
      prefix: "tenant/a",
      accountUrl,
      managedIdentityClientId: identity,
    });
  });

  it("should take an explicit endpoint (Azurite, a trailing slash as Azure prints it) and an account key it never shows", () => {
    const azurite = load([], {
      ...base,
      AUDITFEED_STATE: "azblob://devstoreaccount1/state",
      AUDITFEED_STATE_BLOB_ENDPOINT: "http://127.0.0.1:10000/devstoreaccount1/",
      AUDITFEED_STATE_ACCOUNT_KEY: "a2V5",
    });
    expect(azurite.state).toEqual({
      kind: "azblob",
      account: "devstoreaccount1",
      container: "state",
      prefix: "",
      accountUrl: "http://127.0.0.1:10000/devstoreaccount1",
      accountKey: "a2V5",
    });
    const wrong = problemsOf(["--state", "azblob://x/state"], { ...base, AUDITFEED_STATE_ACCOUNT_KEY: "a2V5" });
    expect(wrong).not.toContain("a2V5");
  });
});

describe("loadConfig – invalid values", () => {
  it.each([
    [["--tenant-id", "contoso.onmicrosoft.com"], '--tenant-id is "contoso.onmicrosoft.com": expected a GUID'],
    [["--cloud", "china"], '--cloud is "china": expected one of commercial, gcc, gcchigh, dod'],
    [["--content-types", "Audit.Exchange,Audit.Teams"], '"Audit.Teams" is none of them'],
    [["--lookback", "8d"], '--lookback is "8d", out of range: the Management API lists nothing older than 7 days'],
    [["--lookback", "60"], '--lookback is "60": expected a duration with a unit'],
    [["--poll-interval", "1s"], '--poll-interval is "1s", out of range: use 10s to 24h'],
    [["--requests-per-minute", "0"], '--requests-per-minute is "0": expected a whole number from 1 to 100000'],
    [["--fetch-concurrency", "2.5"], '--fetch-concurrency is "2.5": expected a whole number from 1 to 64'],
    [["--management-url", "http://127.0.0.1:8443"], "plain http is refused"],
    [["--sink", "kafka"], '--sink is "kafka": expected one of file, stdout, http, syslog, sentinel'],
    [["--sink", "http", "--sink-url", "https://siem.example"], "sinkPreset is missing: which HTTP intake receives the records."],
    [
      ["--sink", "http", "--sink-preset", "splunk-hec", "--sink-url", "https://siem.example"],
      "The splunk-hec preset needs the HEC token in AUDITFEED_SINK_SECRET",
    ],
    [["--sink", "http", "--sink-preset", "elasticsearch", "--sink-url", "https://es.example"], "The elasticsearch preset needs the index or data stream"],
    [["--sink", "http", "--sink-preset", "webhook", "--sink-url", "http://siem.example"], '--sink-url is "http://siem.example": expected an https URL'],
    [
      ["--sink", "http", "--sink-preset", "webhook", "--sink-url", "https://siem.example", "--sink-ack", "on"],
      "--sink-ack applies to the splunk-hec preset only",
    ],
    [["--sink", "syslog", "--sink-url", "udp://127.0.0.1:514"], '--sink-url is "udp://127.0.0.1:514": expected tcp://host:port or tls://host:port'],
    [["--sink", "syslog", "--sink-url", "tcp://127.0.0.1:6514", "--sink-preset", "webhook"], "--sink-preset configures the http sink, but the sink is syslog"],
    [
      ["--sink", "sentinel", "--sink-url", "https://dce.westeurope-1.ingest.monitor.azure.com"],
      "sinkRuleId is missing: the immutable id of the data collection rule",
    ],
    [
      ["--sink", "sentinel", "--sink-url", "https://siem.example", "--sink-rule-id", "dcr-0123456789abcdef0123456789abcdef"],
      '--sink-url is "https://siem.example": expected an https:// Logs Ingestion endpoint on *.ingest.monitor.azure.com',
    ],
    [
      [
        "--cloud",
        "dod",
        "--sink",
        "sentinel",
        "--sink-url",
        "https://dce.westeurope-1.ingest.monitor.azure.com",
        "--sink-rule-id",
        "dcr-0123456789abcdef0123456789abcdef",
      ],
      "expected an https:// Logs Ingestion endpoint on *.ingest.monitor.azure.us (the dod cloud's)",
    ],
    [
      ["--sink", "sentinel", "--sink-url", "https://dce.westeurope-1.ingest.monitor.azure.com", "--sink-rule-id", "my-rule"],
      '--sink-rule-id is "my-rule": expected a data collection rule\'s immutable id',
    ],
    [
      ["--sink", "http", "--sink-preset", "webhook", "--sink-url", "https://siem.example", "--sink-stream", "Custom-X_CL"],
      "--sink-stream configures the sentinel sink, but the sink is http",
    ],
    [["--log-level", "verbose"], "expected one of debug, info, warn, error"],
    [["--ca-file", "missing-ca.pem"], "which does not exist"],
    [["--overlap", "48h", "--dedupe-horizon", "24h"], "dedupeHorizon (24h) is shorter than overlap (48h)"],
    [["--tenant-id"], "--tenant-id needs a value"],
    [["--state", "azblob://Acct/state"], "--state is invalid: expected azblob://<account>/<container>[/<prefix>] with a storage account name"],
    [["--state", "azblob://acct/state", "--state-blob-endpoint", "http://acct.blob.example.com"], "--state-blob-endpoint is invalid: the blob endpoint"],
    [["--state", "azblob://acct/state", "--state-blob-endpoint", "https://other.blob.core.windows.net"], "is not the endpoint of account acct"],
    [["--state-blob-endpoint", "https://acct.blob.core.windows.net"], "--state-blob-endpoint is set, but the state is a local file"],
  ])("should reject %j naming the field, the value and the fix", (argv, message) => {
    expect(problemsOf(argv)).toContain(message);
  });

  it("should report every problem at once", () => {
    const message = problemsOf(["--cloud", "mars", "--lookback", "9d"], {});
    expect(message).toContain("tenantId is missing: the directory (tenant) ID");
    expect(message).toContain("clientId is missing");
    expect(message).toContain("--cloud");
    expect(message).toContain("--lookback");
    expect(message.split("\n  - ").length).toBeGreaterThanOrEqual(5);
  });

  it("should never show a secret's value", () => {
    const file = writeFile("secret-bad.json", { clientSecret: { nested: SECRET } });
    const message = problemsOf(["--config", file], { AUDITFEED_TENANT_ID: TENANT, AUDITFEED_CLIENT_ID: CLIENT });
    expect(message).toContain('"clientSecret"');
    expect(message).not.toContain(SECRET);
  });

  it("should reject unknown keys in the config file", () => {
    const file = writeFile("unknown.json", { tenantId: TENANT, lookBack: "2h" });
    expect(problemsOf(["--config", file])).toContain(`"lookBack" in ${file} is not a setting`);
  });

  it.each([
    ["missing.json", "does not exist"],
    ["broken.json", "is not valid JSON"],
    ["array.json", "must hold one JSON object"],
  ])("should explain an unreadable config file (%s)", (name, message) => {
    if (name === "broken.json") writeFile(name, "{ nope");
    if (name === "array.json") writeFile(name, "[]");
    expect(problemsOf(["--config", join(cwd, name)])).toContain(message);
  });
});

describe("configHelp", () => {
  it("should list every flag with its variable, file key and default", () => {
    const help = configHelp();
    expect(help).toContain("--tenant-id, AUDITFEED_TENANT_ID");
    expect(help).toContain("(no flag), AUDITFEED_CLIENT_SECRET");
    expect(help).toContain("[lookback]");
    expect(help).toContain("Default: 1h.");
  });
});
