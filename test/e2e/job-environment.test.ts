import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLOUD_NAMES, CLOUDS, type CloudName } from "../../collector/src/config/clouds.ts";
import { parseAzblobLocation } from "../../collector/src/config/state-location.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { parseHead } from "../../collector/src/state/azblob/head.ts";
import { type AppRegistration, type Emulator, startEmulator } from "../../emulator/src/index.ts";
import { AZURITE_KEY, startAzurite, type Azurite } from "../fixtures/azurite.ts";
import {
  CERTIFICATE,
  containerEnvironment,
  CUSTOMER_TENANT,
  declareStackJob,
  dedicatedIdentities,
  installStackMocks,
  MODES,
  MSSP_TENANT,
  PROVIDER_APP,
  PROVIDER_IDENTITY,
  resourceOf,
  SECRET_VALUES,
  type StackJob,
} from "../infra/stack-job.ts";
import { groundTruthOfCursors, logEntries, runCli, temporaryDirectory } from "./harness.ts";

// Issue 8, "done when": the collector runs with exactly what the stack gives its Container Apps Job, for every
// credential mode (and MSSP mode) in every cloud. Each combination is one `auditfeed once` process, given the Job
// resource's environment as the runtime builds it, plus only what points Microsoft's hosts at local processes: the
// Management API, the authority and the extra CA (the emulator, playing that cloud), the managed identity endpoint as
// the runtime sets it (IDENTITY_ENDPOINT, IDENTITY_HEADER), and the state's Blob endpoint with a key (Azurite, serving
// the stack's own account names). The stack's sink (stdout) stays: its output is what is checked.

const NOW = new Date("2026-11-22T10:00:00Z");
const ROLES = ["ActivityFeed.Read", "ActivityFeed.ReadDlp"];
const registered = installStackMocks();

/** The account and container of the state location a job was given (Blob storage, as every stack's job keeps it). */
function stateOf(env: Record<string, string>): { account: string; container: string } {
  const location = parseAzblobLocation(env["AUDITFEED_STATE"] ?? "", undefined, CLOUDS.commercial);
  if (!location.ok) throw new Error(`the job keeps its state in ${env["AUDITFEED_STATE"]}, not Blob storage: ${location.problem}`);
  return location.value;
}

interface Prepared {
  readonly stack: StackJob;
  readonly env: Record<string, string>;
}

/** Apps and identities of one cloud's stacks, registered in that cloud's emulator as each stack registers them in Entra. */
function emulatorFor(cloud: CloudName, stacks: readonly StackJob[]): Promise<Emulator> {
  const apps: AppRegistration[] = [];
  const identities: { clientId: string; principalId: string; tenantId: string }[] = [PROVIDER_IDENTITY];
  for (const stack of stacks) {
    if (stack.mode === "mssp") continue;
    const { appClientId, identity } = dedicatedIdentities(stack);
    identities.push(identity);
    const federated =
      stack.mode === "federated" ? resourceOf(stack, "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential") : undefined;
    apps.push({
      tenantId: CUSTOMER_TENANT,
      clientId: appClientId,
      secrets: stack.mode === "secret" ? [SECRET_VALUES["client-secret"] ?? ""] : [],
      certificatePems: stack.mode === "certificate" ? [CERTIFICATE.certPem] : [],
      federatedCredentials:
        federated === undefined
          ? []
          : [{ issuer: String(federated["issuer"]), subject: String(federated["subject"]), audiences: federated["audiences"] as string[] }],
      roles: ROLES,
    });
  }
  const provider = CLOUDS[cloud];
  return startEmulator({
    cloud,
    seed: 8,
    now: NOW,
    freezeClock: true,
    managedIdentities: identities,
    tenants: [
      {
        tenantId: CUSTOMER_TENANT,
        apps,
        consents: [{ clientId: PROVIDER_APP, roles: ROLES }],
        historyHours: 2,
        recordsPerBlob: 10,
        eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 40])),
        subscribed: [...CONTENT_TYPES],
      },
      {
        tenantId: MSSP_TENANT,
        apps: [
          {
            tenantId: MSSP_TENANT,
            clientId: PROVIDER_APP,
            signInAudience: "AzureADMultipleOrgs",
            secrets: [],
            certificatePems: [],
            // What infra/provider declares for this cloud (test/infra/provider-stack.test.ts checks the program).
            federatedCredentials: [
              {
                issuer: `https://${provider.authorityHost}/${MSSP_TENANT}/v2.0`,
                subject: PROVIDER_IDENTITY.principalId,
                audiences: [provider.tokenExchangeAudience],
              },
            ],
            roles: [],
          },
        ],
        historyHours: 0,
      },
    ],
  });
}

describe.concurrent("auditfeed once with exactly the mocked stack's Job environment, against the emulator and Azurite", () => {
  const prepared = new Map<string, Prepared>();
  const emulators = new Map<CloudName, Emulator>();
  let azurite: Azurite;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeAll(async () => {
    directory = await temporaryDirectory();
    const stacks: StackJob[] = [];
    for (const cloud of CLOUD_NAMES) for (const mode of MODES) stacks.push(await declareStackJob(registered, cloud, mode));
    const environments = stacks.map((stack) => ({ stack, env: containerEnvironment(stack.job, join(directory.path, stack.customer)) }));
    const locations = environments.map(({ env }) => stateOf(env));
    const accounts = [...new Set(locations.map((location) => location.account))];
    azurite = await startAzurite(accounts);
    for (const cloud of CLOUD_NAMES) {
      emulators.set(
        cloud,
        await emulatorFor(
          cloud,
          stacks.filter((stack) => stack.cloud === cloud),
        ),
      );
    }
    for (const [index, { stack, env }] of environments.entries()) {
      const location = locations[index] as { account: string; container: string };
      // The container exists, as the stack creates it.
      const endpoint = azurite.endpointOf(location.account);
      await endpoint.service.getContainerClient(location.container).createIfNotExists();
      const emulator = emulators.get(stack.cloud) as Emulator;
      prepared.set(`${stack.cloud}/${stack.mode}`, {
        stack,
        env: {
          ...env,
          AUDITFEED_MANAGEMENT_URL: emulator.managementUrl,
          AUDITFEED_AUTHORITY_URL: emulator.authorityUrl,
          AUDITFEED_CA_FILE: emulator.caFile,
          // What Container Apps sets beside a user-assigned identity: its token endpoint and the header secret.
          IDENTITY_ENDPOINT: emulator.managedIdentityUrl,
          IDENTITY_HEADER: emulator.identity.managedIdentityHeader,
          AUDITFEED_STATE_BLOB_ENDPOINT: endpoint.accountUrl,
          AUDITFEED_STATE_ACCOUNT_KEY: AZURITE_KEY,
        },
      });
    }
  });

  afterAll(async () => {
    await Promise.all([...emulators.values()].map((emulator) => emulator.close()));
    await azurite?.close();
    await directory?.remove();
  });

  it.each(CLOUD_NAMES.flatMap((cloud) => MODES.map((mode) => ({ cloud, mode }))))(
    "should collect exactly the emulator's ground truth, $mode credential in $cloud",
    async ({ cloud, mode }) => {
      const { stack, env } = prepared.get(`${cloud}/${mode}`) as Prepared;
      const emulator = emulators.get(cloud) as Emulator;
      const run = runCli(["once"], env);
      const { code } = await run.exit;
      expect(code, run.stderr().slice(-2_000)).toBe(0);
      expect(env["AUDITFEED_CLOUD"]).toBe(cloud);
      expect(env["AUDITFEED_SINK"]).toBe("stdout");

      // The stdout sink: one record per line, nothing else.
      const lines = run
        .stdout()
        .split("\n")
        .filter((line) => line !== "");
      const ids = lines.map((line) => (JSON.parse(line) as { Id: string }).Id);
      const location = stateOf(env);
      const head = parseHead(
        await azurite.endpointOf(location.account).service.getContainerClient(location.container).getBlobClient("head.json").downloadToBuffer(),
        `${stack.customer} head.json`,
      );
      // The stack sets no look-back: the default hour, from the server's time as the collector measured it (to the second).
      for (const type of CONTENT_TYPES) {
        expect(Math.abs(Date.parse(head.cursors[type]?.origin ?? "") - (NOW.getTime() - 3_600_000)), type).toBeLessThanOrEqual(5_000);
      }
      const truth = groundTruthOfCursors(emulator, CUSTOMER_TENANT, head.cursors);
      expect(truth.size).toBeGreaterThan(100);
      expect(ids.length).toBe(new Set(ids).size);
      expect(ids.filter((id) => !truth.has(id))).toEqual([]);
      expect([...truth].filter((id) => !ids.includes(id))).toEqual([]);
      expect(logEntries(run.stderr()).filter((entry) => entry["level"] === "error")).toEqual([]);
    },
  );
});
