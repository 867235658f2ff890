import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { OPTIONS, type OptionSpec } from "../../collector/src/config/options.ts";
import { SINK_KINDS } from "../../collector/src/sinks/kinds.ts";
import { CONFIG_KEYS, parseStackConfig } from "../../infra/config.ts";
import { JOB_SINKS } from "../../infra/sinks/index.ts";
import { SINK_CONFIG_KEYS, sinkFilePath, sinkSecretName } from "../../infra/sinks/config.ts";

// Issue 9, item 6: `auditfeed:sink` and its options come from the collector's registry and options table, secrets are
// refused as plain values, files are given as content, and the collector's own reader checks the result.

const minimal = { customer: "contoso", tenantId: "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d" };
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const hec = { ...minimal, sink: "http", sinkPreset: "splunk-hec", sinkUrl: "https://splunk.example:8088", sinkSecret: "token" };

function refusal(values: Record<string, string>, secretKeys: readonly string[] = []): string {
  try {
    parseStackConfig(values, { secretKeys: new Set(secretKeys) });
  } catch (error) {
    expect(error).toMatchObject({ name: "AuditfeedError", code: "AF_ERR_INFRA_CONFIG" });
    return (error as Error).message;
  }
  throw new Error("the stack was accepted");
}

describe("the stack's sink settings", () => {
  it("should offer every collector sink but the file sink, and the options their owner sets under the collector's keys", () => {
    expect(JOB_SINKS).toEqual(SINK_KINDS.filter((kind) => kind !== "file"));
    for (const key of ["sinkUrl", "sinkSecret", "sinkPreset", "sinkCaFile", "sinkClientCertificate", "sinkTimeout"]) expect(SINK_CONFIG_KEYS).toContain(key);
    // The dead letter and the archive's container are the stack's; account keys are for Azurite; the file sink is not offered.
    for (const key of ["deadLetter", "deadLetterBlobEndpoint", "deadLetterAccountKey", "sinkAccountKey", "sinkBlobEndpoint", "sinkDir"]) {
      expect(SINK_CONFIG_KEYS).not.toContain(key);
    }
    for (const key of SINK_CONFIG_KEYS) expect(CONFIG_KEYS).toContain(key);
    expect(SINK_CONFIG_KEYS.every((key) => (OPTIONS as readonly OptionSpec[]).some((option) => option.key === key && option.sinks !== undefined))).toBe(true);
  });

  it("should refuse, saying why, an option the stack sets itself or the job never needs", () => {
    expect(refusal({ ...minimal, sink: "http", deadLetter: "/var/dead" })).toBe(
      "auditfeed:deadLetter is not a setting of a stack (the stack puts the dead letter in a container of its storage account, as records refused for good must outlive the job's throwaway disk): remove it with `pulumi config rm deadLetter`.",
    );
    expect(refusal({ ...minimal, sink: "azblob", sinkAccountKey: "key" })).toContain(
      "auditfeed:sinkAccountKey is not a setting of a stack (account keys are for Azurite;",
    );
    expect(refusal({ ...minimal, sink: "azblob", sinkUrl: "azblob://mine/archive" })).toContain(
      "auditfeed:sinkUrl is set by the stack for the azblob sink (the archive is a container the stack creates in its storage account, with access for the job's identity alone): remove it with `pulumi config rm sinkUrl`.",
    );
    expect(parseStackConfig({ ...minimal, sink: "azblob" }).sink).toEqual({ kind: "azblob", settings: [] });
  });

  it("should declare every key in Pulumi.yaml, each secret sink option as a secret", () => {
    const project = parse(readFileSync(join(import.meta.dirname, "../../Pulumi.yaml"), "utf8")) as { config: Record<string, { secret?: boolean }> };
    expect(Object.keys(project.config).sort()).toEqual([...CONFIG_KEYS].sort());
    const secrets = Object.entries(project.config)
      .filter(([, declared]) => declared.secret === true)
      .map(([key]) => key);
    const expected = (OPTIONS as readonly OptionSpec[]).filter(
      (option) => SINK_CONFIG_KEYS.includes(option.key as never) && (option.secret === true || option.secretFile === true),
    );
    expect(secrets.sort()).toEqual(expected.map((option) => option.key).sort());
  });

  it("should refuse the file sink, saying why", () => {
    expect(refusal({ ...minimal, sink: "file" })).toMatch(
      /^auditfeed:sink must be one of stdout, .*; got "file"\. The job's disk is thrown away after every run/,
    );
  });

  it("should take secrets only as Pulumi secrets, and keep them apart from plain values", () => {
    expect(refusal(hec)).toContain(
      "auditfeed:sinkSecret is a secret, but it is set as plain text (it would sit unencrypted in Pulumi.<stack>.yaml): set it with `pulumi config set --secret sinkSecret <value>`.",
    );
    expect(parseStackConfig(hec, { secretKeys: new Set(["sinkSecret"]) }).sink).toEqual({
      kind: "http",
      settings: [
        { option: "sinkUrl", value: "https://splunk.example:8088", form: "value" },
        { option: "sinkSecret", value: "token", form: "secret" },
        { option: "sinkPreset", value: "splunk-hec", form: "value" },
      ],
    });
  });

  it("should take a file as its PEM content, and a file holding a private key only as a secret", () => {
    const syslog = { ...minimal, sink: "syslog", sinkUrl: "tls://siem.example:6514" };
    expect(refusal({ ...syslog, sinkCaFile: "/etc/ssl/ca.pem" })).toContain(
      'auditfeed:sinkCaFile takes the content of the PEM file, not a path (the job cannot read your machine\'s files; the stack hands it the file through Key Vault): set it with `pulumi config set sinkCaFile -- "$(cat ca.pem)"`.',
    );
    expect(refusal({ ...syslog, sinkClientCertificate: CA })).toContain(
      'auditfeed:sinkClientCertificate is a secret, but it is set as plain text (it would sit unencrypted in Pulumi.<stack>.yaml): set it with `pulumi config set --secret sinkClientCertificate -- "$(cat client.pem)"`.',
    );
    const accepted = parseStackConfig({ ...syslog, sinkCaFile: CA, sinkClientCertificate: CA }, { secretKeys: new Set(["sinkClientCertificate"]) });
    expect(accepted.sink.settings.filter((setting) => setting.form === "file").map((setting) => setting.option)).toEqual([
      "sinkCaFile",
      "sinkClientCertificate",
    ]);
    expect(sinkSecretName("sinkClientCertificate")).toBe("sink-client-certificate");
    expect(sinkFilePath("sinkCaFile")).toBe("/mnt/auditfeed-secrets/sink-ca-file.pem");
  });

  it("should refuse an option of another sink, naming the sink it belongs to", () => {
    expect(refusal({ ...minimal, sink: "syslog", sinkUrl: "tcp://siem.example:514", sinkPreset: "webhook" })).toContain(
      "auditfeed:sinkPreset configures the http sink, but auditfeed:sink is syslog: remove it with `pulumi config rm sinkPreset`, or set auditfeed:sink to http.",
    );
  });

  it("should pass on what the collector's own reader of the sink refuses, with the stack's key", () => {
    expect(refusal({ ...hec, sinkPreset: "elasticsearch", sinkTimeout: "forever" }, ["sinkSecret"])).toBe(
      [
        "The http sink's settings are invalid:",
        '  - auditfeed:sinkTimeout is "forever": expected a duration with a unit, such as "90s", "5m", "1h" or "3d".',
        '  - The elasticsearch preset needs the index or data stream to write to: set --sink-index, AUDITFEED_SINK_INDEX or "sinkIndex" in the config file.',
      ].join("\n"),
    );
    expect(refusal({ ...hec, sinkUrl: "http://splunk.example:8088" }, ["sinkSecret"])).toContain('auditfeed:sinkUrl is "http://splunk.example:8088": expected');
  });
});
