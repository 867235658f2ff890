import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { request } from "undici";
import { describe, expect, it } from "vitest";
import { emulateCommand } from "../../emulator/src/cli.ts";
import { DEMO_TENANT } from "../../emulator/src/index.ts";

const BIN = new URL("../../bin/auditfeed.js", import.meta.url).pathname;

function field(output: string, label: string): string {
  const value = new RegExp(`^ {2}${label} +(\\S+)`, "m").exec(output)?.[1];
  if (value === undefined) throw new Error(`'${label}' missing from:\n${output}`);
  return value;
}

describe("auditfeed emulate", () => {
  it("should document every knob in --help", async () => {
    const child = spawn(process.execPath, [BIN, "emulate", "--help"]);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
    for (const flag of [
      "--seed",
      "--now",
      "--page-size",
      "--rate",
      "--history-hours",
      "--subscribed",
      "--audit-off",
      "--requests-per-minute",
      "--late-blob-rate",
      "--duplicate-record-rate",
      "--in-order",
      "--expired-blob-rate",
      "--transient-error-rate",
      "--throttle-rate",
      "--slow-response-ms",
      "--poison-content-uri",
      "--first-data-delay-minutes",
      "--malformed-blob-rate",
      "--malformed-blob-kinds",
    ]) {
      expect(output).toContain(flag);
    }
  });

  it("should reject a bad flag value with exit code 2", async () => {
    expect(await emulateCommand(["--late-blob-rate", "lots"])).toBe(2);
    expect(await emulateCommand(["--malformed-blob-kinds", "truncated,sideways"])).toBe(2);
  });

  it("should print URLs, credentials and a CA file that work, and stop cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [BIN, "emulate", "--subscribed", "all", "--history-hours", "2"]);
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      while (!output.includes("CA file")) await once(child.stdout, "data");
      tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(field(output, "CA file"), "utf8")]);
      expect(field(output, "Tenant id")).toBe(DEMO_TENANT);
      const credential = new ClientSecretCredential(field(output, "Tenant id"), field(output, "Client id"), field(output, "Client secret"), {
        authorityHost: field(output, "Authority host"),
        disableInstanceDiscovery: true,
      });
      const token = await credential.getToken(field(output, "Scope"));
      const res = await request(`${field(output, "Management API")}/subscriptions/content?contentType=Audit.Exchange`, {
        headers: { authorization: `Bearer ${token.token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as unknown[]).length).toBeGreaterThan(0);
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number];
    expect(code).toBe(0);
    expect(output).toContain("stopping the emulator");
  });

  it("should reject an out-of-range option with exit code 2", async () => {
    expect(await emulateCommand(["--throttle-rate", "2"])).toBe(2);
  });
});
