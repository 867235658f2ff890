import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { type Emulator, type ManagedIdentity, startEmulator } from "../../emulator/src/index.ts";
import { parseStackConfig } from "../../infra/config.ts";
import { declareTenantStack } from "../../infra/tenant-stack.ts";
import { installMocks, valueOf } from "../infra/mocks.ts";
import { logEntries, runCli, temporaryDirectory } from "./harness.ts";

// The MSSP's tenant registers one multi-tenant app; its user-assigned managed identity is the app's only credential.
const MSSP_TENANT = "a1a1a1a1-1111-4222-8333-444444444444";
const CONSENTING_CUSTOMER = "b1b1b1b1-1111-4222-8333-444444444444";
const OTHER_CUSTOMER = "c1c1c1c1-1111-4222-8333-444444444444";
const MSSP_APP = "a1a1a1a1-aaaa-4bbb-8ccc-000000000001";
const IDENTITY: ManagedIdentity = {
  clientId: "a1a1a1a1-5555-4666-8777-000000000001",
  principalId: "a1a1a1a1-5555-4666-8777-000000000002",
  tenantId: MSSP_TENANT,
};
const PROVIDER_STACK = "mssp/auditfeed-provider/prod";

// Tenant stacks are declared under Pulumi's mocks; the provider stack they reference names the emulator's app and identity.
const registered = installMocks({
  azureTenantId: MSSP_TENANT,
  providerOutputs: {
    [PROVIDER_STACK]: {
      tenantId: MSSP_TENANT,
      cloud: "commercial",
      clientId: MSSP_APP,
      declaredRoles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
      identityResourceId: "/subscriptions/s/resourceGroups/mssp/providers/Microsoft.ManagedIdentity/userAssignedIdentities/collector",
      identityClientId: IDENTITY.clientId,
      identityPrincipalId: IDENTITY.principalId,
      location: "eastus",
      resourceGroupName: "mssp",
      environmentId: "/subscriptions/s/resourceGroups/mssp/providers/Microsoft.App/managedEnvironments/shared",
      stateAccountName: "msspstate",
      stateBlobEndpoint: "https://msspstate.blob.core.windows.net/",
      workspaceId: "/subscriptions/s/resourceGroups/mssp/providers/Microsoft.OperationalInsights/workspaces/shared",
    },
  },
});

/**
 * MSSP mode end to end: `auditfeed once`, given only a managed identity (no secret, no certificate), signs in to a
 * customer tenant as the provider's app through the cross-tenant exchange, and collects; a tenant without consent,
 * or one offboarded since, gets Entra's refusal mapped to what to do.
 */
describe("auditfeed once in MSSP mode (managed-identity assertion for a multi-tenant app)", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 13,
      now: new Date("2026-11-20T12:00:00Z"),
      freezeClock: true,
      managedIdentities: [IDENTITY],
      tenants: [
        {
          tenantId: MSSP_TENANT,
          apps: [
            {
              tenantId: MSSP_TENANT,
              clientId: MSSP_APP,
              signInAudience: "AzureADMultipleOrgs",
              secrets: [],
              certificatePems: [],
              federatedCredentials: [
                { issuer: `https://login.microsoftonline.com/${MSSP_TENANT}/v2.0`, subject: IDENTITY.principalId, audiences: ["api://AzureADTokenExchange"] },
              ],
              roles: [],
            },
          ],
          historyHours: 0,
        },
        { tenantId: CONSENTING_CUSTOMER, apps: [], consents: [{ clientId: MSSP_APP, roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"] }], historyHours: 2 },
        { tenantId: OTHER_CUSTOMER, apps: [], historyHours: 2 },
      ],
    });
    directory = await temporaryDirectory();
  });
  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  /**
   * The job's environment exactly as the tenant stack in MSSP mode declares it (tenant, app, credential kind and the
   * provider's identity; not one secret reference), with state and output moved to local files and the endpoints
   * pointed at the emulator.
   */
  async function environment(tenantId: string): Promise<Record<string, string>> {
    const customer = `c${tenantId.slice(0, 6)}`;
    const config = parseStackConfig({ customer, tenantId, providerStack: PROVIDER_STACK, publisherId: MSSP_TENANT });
    const stack = declareTenantStack(config, {
      stack: customer,
      now: new Date("2026-11-20T12:00:00Z"),
      azureSubscriptionId: undefined,
      azureTenantId: undefined,
    });
    await valueOf(stack.jobName);
    const job = registered.find((resource) => resource.type === "azure-native:app:Job" && resource.name.startsWith(`${customer}-`));
    const template = (job?.inputs as { template: { containers: { env: { name: string; value?: string; secretRef?: string }[] }[] } } | undefined)?.template;
    const variables = template?.containers[0]?.env ?? [];
    expect(variables.filter((variable) => variable.secretRef !== undefined)).toEqual([]);
    const fromStack = Object.fromEntries(variables.map((variable) => [variable.name, variable.value ?? ""]));
    expect(fromStack).toMatchObject({ AUDITFEED_CREDENTIAL: "federated", AUDITFEED_TENANT_ID: tenantId, AUDITFEED_CLIENT_ID: MSSP_APP });
    const folder = join(directory.path, tenantId);
    const local = Object.fromEntries(Object.entries(fromStack).filter(([name]) => !name.startsWith("AUDITFEED_STATE") && !name.startsWith("AUDITFEED_SINK")));
    return {
      ...local,
      AUDITFEED_LOOKBACK: "3h",
      AUDITFEED_MANAGEMENT_URL: emulator.managementUrl,
      AUDITFEED_AUTHORITY_URL: emulator.authorityUrl,
      AUDITFEED_MANAGED_IDENTITY_URL: emulator.managedIdentityUrl,
      // Container Apps sets this beside IDENTITY_ENDPOINT; the emulator's endpoint checks it the same way.
      IDENTITY_HEADER: emulator.identity.managedIdentityHeader,
      AUDITFEED_CA_FILE: emulator.caFile,
      AUDITFEED_SINK: "file",
      AUDITFEED_SINK_DIR: join(folder, "events"),
      AUDITFEED_STATE: join(folder, "state.sqlite"),
    };
  }

  async function once(tenantId: string): Promise<{ code: number | null; stderr: string }> {
    const run = runCli(["once"], await environment(tenantId));
    const { code } = await run.exit;
    return { code, stderr: run.stderr() };
  }

  it("should collect every record of the consenting tenant exactly once", async () => {
    const { code, stderr } = await once(CONSENTING_CUSTOMER);
    expect(code, stderr).toBe(0);
    const delivered = await readDeliveredRecords(join(directory.path, CONSENTING_CUSTOMER, "events"));
    const truth = emulator.tenant(CONSENTING_CUSTOMER).groundTruth({ from: new Date(0) });
    expect(truth.count).toBeGreaterThan(0);
    expect(delivered.lines).toBe(truth.count);
    expect([...truth.ids].filter((id) => !delivered.ids.has(id))).toEqual([]);
  });

  it("should stop at Entra's AADSTS7000229 for a tenant that never consented, say what it means and what to do, and touch nothing there (exit 3)", async () => {
    const { code, stderr } = await once(OTHER_CUSTOMER);
    expect(code).toBe(3);
    const errors = logEntries(stderr).flatMap((entry) => {
      const error = entry["error"] as { code?: string; message?: string } | undefined;
      return error === undefined ? [] : [error];
    });
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error.code).toBe("AF_ERR_AUTH");
      expect(error.message).toContain(`app ${MSSP_APP} has no service principal or admin consent in tenant ${OTHER_CUSTOMER} (AADSTS7000229)`);
      expect(error.message).toContain("in MSSP mode the tenant's stack creates the provider app's service principal there");
    }
    expect(Object.values(emulator.tenant(OTHER_CUSTOMER).subscriptions()).every((status) => status === "none")).toBe(true);
    expect(emulator.requests.some((request) => request.tenantId === OTHER_CUSTOMER)).toBe(false);
  });

  it("should be refused the same way once the tenant is offboarded (its service principal deleted)", async () => {
    const index = emulator.identity.consents.findIndex((consent) => consent.tenantId === CONSENTING_CUSTOMER);
    emulator.identity.consents.splice(index, 1);
    const { code, stderr } = await once(CONSENTING_CUSTOMER);
    expect(code).toBe(3);
    // Entra's own words stay in the logged cause.
    expect(stderr).toContain(`AADSTS7000229: The client application ${MSSP_APP} is missing service principal in the tenant ${CONSENTING_CUSTOMER}`);
    expect(stderr).toContain("After the tenant was offboarded (its stack destroyed) this is expected");
  });
});
