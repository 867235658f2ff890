import { spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { doctorCommand } from "../../cli/src/doctor.ts";
import type { CheckResult } from "../../cli/src/doctor/report.ts";
import { DEMO_APP, demoTenant, startEmulator, type Emulator, type EmulatorOptions, type TenantOptions } from "../../emulator/src/index.ts";
import { createClientCertificate } from "../../emulator/src/tls.ts";
import { SECRET, startIntake } from "../collector/sinks/fixtures/intake-server.ts";
import { collectorEnvironment, ROOT, runCli, temporaryDirectory } from "./harness.ts";
import { unusedPort } from "../fixtures/ports.ts";

type App = TenantOptions["apps"][number];
const demoApp = (): App => demoTenant().apps[0] as App;

/** `auditfeed doctor` on behalf of the emulator's demo tenant, run in this process: what it printed, parsed, and its exit code. */
describe("auditfeed doctor", () => {
  let emulator: Emulator | undefined;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await emulator?.close();
    emulator = undefined;
    await directory.remove();
  });

  async function start(tenant: Partial<TenantOptions> = {}, options: EmulatorOptions = {}): Promise<Emulator> {
    emulator = await startEmulator({ seed: 5, ...options, tenants: [{ ...demoTenant(), historyHours: 2, ...tenant }] });
    return emulator;
  }

  async function doctor(env: Record<string, string>): Promise<{ code: number; printed: string; checks: CheckResult[]; byName: (name: string) => CheckResult }> {
    let printed = "";
    const code = await doctorCommand(["--json"], env, (text) => (printed += text));
    const checks = (JSON.parse(printed) as { checks: CheckResult[] }).checks;
    const byName = (name: string): CheckResult => {
      const found = checks.find((check) => check.check === name);
      if (found === undefined) throw new Error(`doctor printed no '${name}' check: ${printed}`);
      return found;
    };
    return { code, printed, checks, byName };
  }

  const env = (extra: Record<string, string> = {}): Record<string, string> => collectorEnvironment(emulator as Emulator, directory.path, extra);

  it("should pass every check against a healthy tenant, print no secret or token, and exit 0 (command line)", async () => {
    await start();
    const run = runCli(["doctor"], env());
    const { code } = await run.exit;
    expect(run.stdout()).toContain("Every check passed.");
    expect(run.stdout()).toMatch(/PASS {2}subscription DLP\.All +Was not enabled; doctor started it/);
    expect(run.stdout()).not.toContain(DEMO_APP.secret);
    expect(run.stdout() + run.stderr()).not.toMatch(/eyJ[\w-]{4,}\./);
    expect(code).toBe(0);
  });

  it("configuration: should list every problem with its fix, skip the rest, and exit 2", async () => {
    await start();
    const { code, byName } = await doctor(env({ AUDITFEED_TENANT_ID: "", AUDITFEED_LOOKBACK: "9d" }));
    expect(code).toBe(2);
    expect(byName("configuration").status).toBe("fail");
    expect(byName("configuration").fix).toContain("tenantId is missing");
    expect(byName("configuration").fix).toContain("use at most 7d");
    expect(byName("token").status).toBe("skip");
  });

  it("reach: should name DNS as the failing step for a host that does not resolve", async () => {
    await start();
    const { code, byName } = await doctor(env({ AUDITFEED_MANAGEMENT_URL: "https://auditfeed-doctor.invalid" }));
    expect(code).toBe(1);
    expectCheck(byName("reach management"), "fail", "DNS cannot resolve auditfeed-doctor.invalid");
    expect(byName("reach management").fix).toContain("check its DNS servers");
    expect(byName("reach login").status).toBe("pass");
    expect(byName("subscriptions").status).toBe("skip");
  });

  it("reach: should ask to open the port when nothing accepts the TCP connection", async () => {
    await start();
    const closed = await unusedPort();
    const { byName } = await doctor(env({ AUDITFEED_MANAGEMENT_URL: `https://127.0.0.1:${closed}` }));
    expectCheck(byName("reach management"), "fail", "ECONNREFUSED");
    expect(byName("reach management").fix).toContain(`Open outbound TCP ${closed} to 127.0.0.1`);
  });

  it("reach: should point at caFile when the TLS certificate is not trusted", async () => {
    await start();
    const untrusted = without(env(), "AUDITFEED_CA_FILE");
    const { byName } = await doctor(untrusted);
    expectCheck(byName("reach login"), "fail", "TLS handshake");
    expect(byName("reach login").fix).toContain("caFile (--ca-file, AUDITFEED_CA_FILE)");
    expect(byName("token").status).toBe("skip");
  });

  it("token: a wrong secret (AADSTS7000215) asks for the secret's Value, and never prints it", async () => {
    await start();
    const wrong = "not-the-secret-0815";
    const { printed, byName } = await doctor(env({ AUDITFEED_CLIENT_SECRET: wrong }));
    expectCheck(byName("token"), "fail", "AADSTS7000215");
    expect(byName("token").fix).toContain("the secret's Value, not its Secret ID");
    expect(printed).not.toContain(wrong);
    expect(byName("roles").status).toBe("skip");
  });

  it("token: an expired secret (AADSTS7000222) asks for a new one", async () => {
    const old = "expired-secret-2024";
    await start({ apps: [{ ...demoApp(), expiredSecrets: [old] }] });
    const { byName } = await doctor(env({ AUDITFEED_CLIENT_SECRET: old }));
    expectCheck(byName("token"), "fail", "has expired (AADSTS7000222)");
    expect(byName("token").fix).toContain("Run `pulumi up` on the tenant's stack");
  });

  it("token: an expired certificate asks for a new one", async () => {
    const expired = createClientCertificate("auditfeed-expired", { notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2021-01-01T00:00:00Z") });
    await start({ apps: [{ ...demoApp(), certificatePems: [expired.certPem] }] });
    const certificatePath = join(directory.path, "app.pem");
    await writeFile(certificatePath, `${expired.keyPem}\n${expired.certPem}`);
    const base = without(env(), "AUDITFEED_CLIENT_SECRET");
    const { byName } = await doctor({ ...base, AUDITFEED_CERTIFICATE_PATH: certificatePath });
    expectCheck(byName("token"), "fail", "certificate of app");
    expect(byName("token").summary).toContain("has expired (AADSTS700027)");
    expect(byName("token").fix).toContain("point certificatePath at the new PEM file");
  });

  it("token: an app that is not in the tenant (AADSTS700016) asks to check the IDs and consent", async () => {
    await start();
    const { byName } = await doctor(env({ AUDITFEED_CLIENT_ID: "00000000-1111-4222-8333-444444444444" }));
    expectCheck(byName("token"), "fail", "AADSTS700016");
    expect(byName("token").fix).toContain("Check clientId and tenantId");
  });

  it("token: an app never consented in the tenant (AADSTS7000229) asks for admin consent", async () => {
    await start({ apps: [{ ...demoApp(), servicePrincipalMissing: true }] });
    const { byName } = await doctor(env());
    expectCheck(byName("token"), "fail", "no service principal or admin consent");
    expect(byName("token").fix).toContain("grant admin consent");
  });

  it("token: a federated credential that does not match the assertion (AADSTS700213) names what must match", async () => {
    const app = { ...demoApp(), secrets: [] as string[] };
    const started = await start({ apps: [app] });
    const { token, issuer } = started.identity.issueWorkloadIdentityToken("system:serviceaccount:auditfeed:other");
    started.identity.apps[0]?.federatedCredentials.push({
      issuer,
      subject: "system:serviceaccount:auditfeed:collector",
      audiences: ["api://AzureADTokenExchange"],
    });
    const tokenFile = join(directory.path, "workload-token");
    await writeFile(tokenFile, token);
    const base = without(env(), "AUDITFEED_CLIENT_SECRET");
    process.env["AZURE_FEDERATED_TOKEN_FILE"] = tokenFile;
    try {
      const { byName } = await doctor({ ...base, AUDITFEED_CREDENTIAL: "workload-identity", AZURE_FEDERATED_TOKEN_FILE: tokenFile });
      expectCheck(byName("token"), "fail", "No federated credential");
      expect(byName("token").summary).toContain("AADSTS700213");
      expect(byName("token").fix).toContain("issuer, subject");
    } finally {
      delete process.env["AZURE_FEDERATED_TOKEN_FILE"];
    }
  });

  it("roles: a token without roles asks to grant ActivityFeed.Read and consent", async () => {
    await start({ apps: [{ ...demoApp(), roles: [] }] });
    const { code, byName } = await doctor(env());
    expect(code).toBe(1);
    expectCheck(byName("roles"), "fail", "no roles at all");
    expect(byName("roles").fix).toContain("ActivityFeed.Read and ActivityFeed.ReadDlp");
    expect(byName("roles").fix).toContain("grant admin consent");
    expect(byName("subscriptions").status).toBe("skip");
  });

  it("roles: DLP.All without ActivityFeed.ReadDlp names the missing role, or dropping DLP.All", async () => {
    await start({ apps: [{ ...demoApp(), roles: ["ActivityFeed.Read"] }] });
    const { byName } = await doctor(env());
    expectCheck(byName("roles"), "fail", "lacks ActivityFeed.ReadDlp, which DLP.All needs");
    expect(byName("roles").fix).toContain("remove DLP.All from contentTypes");
  });

  it("subscriptions: a content type that cannot be started fails alone, with the API's reason", async () => {
    const started = await start({ subscribed: ["Audit.Exchange", "Audit.SharePoint", "Audit.AzureActiveDirectory", "DLP.All"] });
    started.script({
      op: "start",
      contentType: "Audit.General",
      reply: { status: 400, body: { error: { code: "AF20020", message: "The content type is not valid." } } },
    });
    const { code, byName } = await doctor(env());
    expect(code).toBe(1);
    expectCheck(byName("subscription Audit.General"), "fail", "AF_ERR_CONFIG");
    expect(byName("subscription Audit.General").fix).toContain("remove it from contentTypes");
    expect(byName("subscription Audit.Exchange").status).toBe("pass");
  });

  it("audit logging: off is reported with the command that turns it on", async () => {
    await start({ auditLoggingEnabled: false });
    const { code, byName } = await doctor(env());
    expect(code).toBe(1);
    expectCheck(byName("audit logging"), "fail", "Unified audit logging is off");
    expect(byName("audit logging").fix).toContain("Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true");
  });

  it("first data and clock skew: a new subscription shows its start time and the 12-hour wait; a far clock fails", async () => {
    const pinned = new Date("2021-06-01T08:00:00.000Z");
    await start({ faults: { firstDataDelayMinutes: 720 } }, { now: pinned, freezeClock: true });
    const { code, byName } = await doctor(env());
    const first = byName("first data Audit.Exchange");
    expect(first.status).toBe("warn");
    expect(first.summary).toContain("The subscription started at 2021-06-01T08:00:0");
    expect(first.summary).toContain("first data can take up to 12 hours after a subscription starts (until 2021-06-01T20:00:0");
    expectCheck(byName("clock skew"), "fail", "ahead of the Management API's");
    expect(byName("clock skew").fix).toContain("Synchronise this host's clock");
    expect(code).toBe(1);
  });

  it("sink: a sink directory that cannot be created names the directory and the fix", async () => {
    await start();
    const file = join(directory.path, "not-a-directory");
    await writeFile(file, "");
    const { byName } = await doctor(env({ AUDITFEED_SINK_DIR: join(file, "events") }));
    expectCheck(byName("sink"), "fail", "AF_ERR_SINK_UNAVAILABLE");
    expect(byName("sink").fix).toContain("Check that the directory exists, is a directory, is writable");
  });

  it("sink: an http sink whose HEC refuses the token fails with the fix, a healthy one passes, and the token is never printed", async () => {
    await start();
    const hec = await startIntake("splunk-hec");
    try {
      const caFile = join(directory.path, "sink-ca.pem");
      await writeFile(caFile, hec.caPem);
      const http = (secret: string): Record<string, string> => ({
        ...without(env(), "AUDITFEED_SINK_DIR"),
        AUDITFEED_SINK: "http",
        AUDITFEED_SINK_PRESET: "splunk-hec",
        AUDITFEED_SINK_URL: hec.url,
        AUDITFEED_SINK_SECRET: secret,
        AUDITFEED_SINK_CA_FILE: caFile,
      });
      const refused = await doctor(http("wrong-hec-token-0000"));
      expect(refused.code).toBe(1);
      expectCheck(refused.byName("sink"), "fail", "http sink: HEC refused the token (HTTP 403");
      expect(refused.byName("sink").fix).toContain("Set sinkSecret (AUDITFEED_SINK_SECRET) to the token value");
      expect(refused.printed).not.toContain("wrong-hec-token-0000");
      const healthy = await doctor(http(SECRET));
      expectCheck(healthy.byName("sink"), "pass", "http sink: HEC is healthy and accepts the token");
      expect(hec.stored).toEqual([]);
    } finally {
      await hec.close();
    }
  });

  it("state: a state file held by a running collector is reported with the fix", async () => {
    await start();
    const statePath = join(directory.path, "state.sqlite");
    const holder = spawn(process.execPath, [join(ROOT, "test/collector/state/fixtures/hold-state.ts"), JSON.stringify({ kind: "sqlite", path: statePath })], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((done) => holder.stdout.once("data", () => done()));
      const { code, byName } = await doctor(env());
      expect(code).toBe(1);
      expectCheck(byName("state"), "fail", "held by another run (AF_ERR_STATE_LOCKED)");
      expect(byName("state").fix).toContain("stop the other one");
    } finally {
      holder.kill("SIGKILL");
    }
  });
});

function expectCheck(result: CheckResult, status: CheckResult["status"], summaryPart: string): void {
  expect(result.status).toBe(status);
  expect(result.summary).toContain(summaryPart);
}

function without(env: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
}
