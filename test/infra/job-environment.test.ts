import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLOUDS as CLOUD_TABLE } from "../../collector/src/config/clouds.ts";
import { loadConfig } from "../../collector/src/config/config.ts";
import { OPTIONS } from "../../collector/src/config/options.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { jobEnvironment } from "../../infra/job-environment.ts";
import { mockGuid } from "./mocks.ts";
import {
  containerEnvironment,
  CUSTOMER_TENANT,
  declareStackJob,
  installStackMocks,
  PROVIDER_APP,
  PROVIDER_IDENTITY,
  PROVIDER_STATE_ACCOUNT,
  SECRET_VALUES,
  STACK_CASES,
} from "./stack-job.ts";

// Issue 7, item 13 (and issue 8, section 6): the stack passed AUDITFEED_SINK_URL and AUDITFEED_SINK_SECRET, which
// nothing reads, and a sink the collector refuses. The job's environment now comes from the collector's options table;
// this proves the collector's loadConfig takes exactly what the mocked stack gives the job, and that every variable is
// read. test/e2e/job-environment.test.ts runs `auditfeed once` with it.

const registered = installStackMocks();
const root = mkdtempSync(join(tmpdir(), "auditfeed-job-env-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function withoutVariable(env: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
}

/** What the collector makes of an environment: its configuration, or the text of its refusal. */
function outcome(env: Record<string, string>, cwd: string): string {
  try {
    return JSON.stringify(loadConfig({ argv: [], env, cwd }));
  } catch (error) {
    return (error as Error).message;
  }
}

describe.each(STACK_CASES)("the collector job's environment, $mode credential in $cloud", ({ cloud, mode }) => {
  it("should hold only variables the collector reads, and be accepted by it as is", async () => {
    const { job, customer } = await declareStackJob(registered, cloud, mode);
    const folder = mkdtempSync(join(root, `${customer}-`));
    const env = containerEnvironment(job, folder);

    const known = new Set(OPTIONS.map((option) => option.env));
    for (const name of Object.keys(env)) expect(known, name).toContain(name);

    const config = loadConfig({ argv: [], env, cwd: folder });
    const mssp = mode === "mssp";
    const identity = mssp ? PROVIDER_IDENTITY.clientId : mockGuid(`mi-client-${customer}-collector-identity`);
    expect(config).toMatchObject({
      cloud,
      tenantId: CUSTOMER_TENANT,
      clientId: mssp ? PROVIDER_APP : mockGuid(`client-id-${customer}-access-app`),
      publisherIdentifier: CUSTOMER_TENANT,
      contentTypes: CONTENT_TYPES,
      sink: { kind: "stdout" },
      state: mssp
        ? {
            kind: "azblob",
            account: PROVIDER_STATE_ACCOUNT,
            container: `state-${customer}`,
            prefix: "",
            accountUrl: `https://${PROVIDER_STATE_ACCOUNT}.blob.${CLOUD_TABLE[cloud].storageSuffix}`,
            managedIdentityClientId: identity,
          }
        : {
            kind: "azblob",
            account: `${customer}stabc123`,
            container: "auditfeed-state",
            prefix: "",
            accountUrl: `https://${customer}stabc123.blob.core.windows.net`,
            managedIdentityClientId: identity,
          },
    });
    expect(config.state).not.toHaveProperty("accountKey");
    if (mode === "secret") expect(config.credential).toEqual({ kind: "secret", clientSecret: SECRET_VALUES["client-secret"] });
    if (mode === "certificate") expect(config.credential).toEqual({ kind: "certificate", certificatePath: join(folder, "secrets", "client-certificate.pem") });
    if (mode === "federated" || mssp) expect(config.credential).toEqual({ kind: "federated", managedIdentityClientId: identity });

    // A variable that nothing reads changes nothing when it is removed or holds nonsense.
    const base = outcome(env, folder);
    for (const name of Object.keys(env)) {
      const read = outcome(withoutVariable(env, name), folder) !== base || outcome({ ...env, [name]: "\u0001nonsense" }, folder) !== base;
      expect(read, `${name} is read by the collector`).toBe(true);
    }
  });
});

// Issue 9, item 4: in MSSP mode the archive and the dead letter are containers of the provider's account, one per
// customer, reached with the provider's identity (which has blob data rights on that account: no role per container).
describe.each(["azblob", "syslog"])("the collector job in MSSP mode with the %s sink", (sink) => {
  it("should hold the customer's containers in the provider's account, accepted by the collector as is", async () => {
    const extra: Record<string, string> = sink === "syslog" ? { sink, sinkUrl: "tcp://siem.example:514" } : { sink };
    const { job, customer } = await declareStackJob(registered, "gcchigh", "mssp", extra);
    const folder = mkdtempSync(join(root, `${customer}-`));
    const config = loadConfig({ argv: [], env: containerEnvironment(job, folder), cwd: folder });
    const expected = {
      account: PROVIDER_STATE_ACCOUNT,
      container: sink === "azblob" ? `archive-${customer}` : `dead-letter-${customer}`,
      prefix: "",
      accountUrl: `https://${PROVIDER_STATE_ACCOUNT}.blob.${CLOUD_TABLE.gcchigh.storageSuffix}`,
      managedIdentityClientId: PROVIDER_IDENTITY.clientId,
    };
    if (config.sink.kind === "azblob") expect(config.sink.folder).toEqual(expected);
    else if (config.sink.kind === "syslog") expect(config.sink.remote.deadLetter).toEqual({ kind: "azblob", folder: expected });
    else throw new Error(`unexpected sink ${config.sink.kind}`);
    const containers = registered.filter((r) => r.type === "azure-native:storage:BlobContainer" && r.name.startsWith(`${customer}-`));
    expect(containers.map((r) => (r.inputs as { accountName: string; containerName: string }).containerName).sort()).toEqual(
      [`state-${customer}`, expected.container].sort(),
    );
    expect(
      registered.filter(
        (r) => r.type === "azure-native:authorization:RoleAssignment" && r.name.includes(`${customer}-`) && r.name.includes("blob-contributor"),
      ),
    ).toEqual([]);
  });
});

describe("jobEnvironment", () => {
  it("should name each variable after the collector's options table", () => {
    expect(
      jobEnvironment([
        { option: "tenantId", value: CUSTOMER_TENANT },
        { option: "clientSecret", secretRef: "client-secret" },
      ]),
    ).toEqual([
      { name: "AUDITFEED_TENANT_ID", value: CUSTOMER_TENANT },
      { name: "AUDITFEED_CLIENT_SECRET", secretRef: "client-secret" },
    ]);
  });

  it("should refuse an option set twice, and a secret option given as a plain value", () => {
    expect(() =>
      jobEnvironment([
        { option: "sink", value: "stdout" },
        { option: "sink", value: "file" },
      ]),
    ).toThrow("The collector job sets the option sink twice.");
    expect(() => jobEnvironment([{ option: "clientSecret", value: "plain" }])).toThrow(
      "The collector option clientSecret is a secret: pass it to the job as a Key Vault reference, not a value.",
    );
  });
});
