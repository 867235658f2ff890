import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FILE_SINK_READING_RULES } from "../../collector/src/sinks/file/reading-rules.ts";
import { DEMO_APP, DEMO_TENANT } from "../../emulator/src/index.ts";
import { AUDITFEED, logEntries, ROOT, runCli, temporaryDirectory } from "./harness.ts";

async function cli(args: string[], env: Record<string, string> = {}, cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = runCli(args, env, cwd);
  const { code } = await run.exit;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

describe("auditfeed command line", () => {
  it("should list the commands and exit 2 when given none", async () => {
    const { code, stdout } = await cli([]);
    expect(code).toBe(2);
    for (const command of ["demo", "run", "once", "backfill", "emulate"]) expect(stdout).toContain(`  ${command}`);
  });

  it("should print the commands and exit 0 when asked for help, and print its version", async () => {
    for (const flag of ["--help", "-h", "help"]) {
      const { code, stdout } = await cli([flag]);
      expect(code).toBe(0);
      expect(stdout).toContain("  backfill");
    }
    const manifest = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    for (const flag of ["--version", "-V"]) {
      const { code, stdout } = await cli([flag]);
      expect(code).toBe(0);
      expect(stdout).toBe(`auditfeed ${manifest.version}\n`);
    }
  });

  it.each([
    [["once", "--lookbak", "3h"], "--lookbak is not an option: did you mean --lookback?"],
    [["run", "--tenant", "x"], "--tenant is not an option: did you mean --tenant-id?"],
    [["backfill", "--sinc", "3d"], "--sinc is not an option: did you mean --since?"],
    [["backfill", "--since", "3d", "extra"], "'extra' is not an option"],
    [["demo", "--fast"], "--fast is not an option."],
    [["emulate", "--seeed", "3"], "--seeed is not an option: did you mean --seed?"],
  ])("should refuse an unknown flag with exit 2 and the closest known one: %j", async (args, message) => {
    const { code, stderr } = await cli(args);
    expect(code).toBe(2);
    expect(stderr).toContain(`auditfeed ${args[0] as string}: ${message}`);
  });

  it("should refuse a certificate file that is not PEM as a configuration error (exit 2) naming the file and the fix", async () => {
    const directory = await temporaryDirectory();
    try {
      const certificate = join(directory.path, "app.pfx");
      await writeFile(certificate, Buffer.from([0x30, 0x82, 0x0a, 0x10, 0x02, 0x01, 0x03]));
      const env = { AUDITFEED_TENANT_ID: DEMO_TENANT, AUDITFEED_CLIENT_ID: DEMO_APP.clientId, AUDITFEED_CERTIFICATE_PATH: certificate };
      const { code, stderr } = await cli(["once"], env, directory.path);
      expect(code).toBe(2);
      expect(stderr).toContain(`AUDITFEED_CERTIFICATE_PATH names ${certificate}, which is not a PEM file with a certificate`);
      expect(stderr).toContain("openssl pkcs12 -in app.pfx -out app.pem -nodes");
    } finally {
      await directory.remove();
    }
  });

  it("should report an unreachable Entra host as a network error naming it, not as an authentication error", async () => {
    const directory = await temporaryDirectory();
    try {
      const env = {
        AUDITFEED_TENANT_ID: DEMO_TENANT,
        AUDITFEED_CLIENT_ID: DEMO_APP.clientId,
        AUDITFEED_CLIENT_SECRET: DEMO_APP.secret,
        AUDITFEED_AUTHORITY_URL: "https://127.0.0.1:1",
        AUDITFEED_MANAGEMENT_URL: "https://127.0.0.1:1",
      };
      const { code, stderr } = await cli(["once"], env, directory.path);
      expect(code).toBe(3);
      const errors = logEntries(stderr).map((entry) => entry["error"] as { code?: string; message?: string } | undefined);
      const network = errors.find((error) => error?.code === "AF_ERR_NETWORK");
      expect(network?.message, stderr.slice(-2_000)).toContain("Entra's token endpoint cannot be reached: no TCP connection to 127.0.0.1:1 (ECONNREFUSED)");
      expect(errors.some((error) => error?.code === "AF_ERR_AUTH")).toBe(false);
    } finally {
      await directory.remove();
    }
  });

  it("should name an unknown command", async () => {
    const { code, stderr } = await cli(["collect"]);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown command 'collect'");
  });

  it("should document every option with its flag and environment variable", async () => {
    const { code, stdout } = await cli(["once", "--help"]);
    expect(code).toBe(0);
    for (const text of ["--tenant-id", "AUDITFEED_TENANT_ID", "--cloud", "AUDITFEED_CLIENT_SECRET", "--lookback", "AUDITFEED_STATE"])
      expect(stdout).toContain(text);
  });

  it("should print the rules a log shipper must follow to read the file sink, the same ones the README gives", async () => {
    const { code, stdout } = await cli(["once", "--help"]);
    expect(code).toBe(0);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(FILE_SINK_READING_RULES.length).toBeGreaterThan(3);
    for (const rule of FILE_SINK_READING_RULES) {
      expect(stdout).toContain(`  - ${rule}`);
      expect(readme, rule).toContain(`- ${rule}`);
    }
    expect(stdout).toMatch(/--sink-rotate-bytes, AUDITFEED_SINK_ROTATE_BYTES .*can end past it by up to one commit/);
  });

  it("should refuse a missing or invalid configuration with exit 2, naming each field and the fix", async () => {
    const { code, stderr } = await cli(["once", "--cloud", "moon"], {});
    expect(code).toBe(2);
    expect(stderr).toContain("AUDITFEED_TENANT_ID");
    expect(stderr).toMatch(/cloud.*moon/);
    expect(stderr).toContain("gcchigh");
  });

  it("should refuse a backfill beyond the API's 7 days and say what to use instead", async () => {
    const { code, stderr } = await cli(["backfill", "--since", "30d"]);
    expect(code).toBe(2);
    expect(stderr).toContain("more than 7 days ago");
    expect(stderr).toContain("Purview");
  });

  it("should run the README's main command: the demo collects from the emulator and verifies exactly once", async () => {
    const directory = await temporaryDirectory();
    try {
      const { code, stdout } = await cli(["demo"], {}, directory.path);
      expect(stdout).toContain("verified");
      expect(stdout).toMatch(/every one of the emulator's [\d,]+ records was delivered exactly once/);
      expect(code).toBe(0);
      expect(existsSync(`${directory.path}/auditfeed-demo/state.sqlite`)).toBe(true);
    } finally {
      await directory.remove();
    }
  });

  const oldNode = ["/usr/local/bin/node", "/usr/bin/node"].find(
    (path) => existsSync(path) && Number(execFileSync(path, ["-p", "process.versions.node.split('.')[0]"]).toString()) < 24,
  );
  it.skipIf(oldNode === undefined)("should tell a user on an old Node how to run it instead of failing on syntax", () => {
    let failure: { status: number; stderr: Buffer } | undefined;
    try {
      execFileSync(oldNode as string, [AUDITFEED, "demo"], { stdio: "pipe" });
    } catch (error) {
      failure = error as { status: number; stderr: Buffer };
    }
    expect(failure?.status).toBe(2);
    expect(failure?.stderr.toString()).toContain("auditfeed needs Node.js 24 or later");
  });
});
