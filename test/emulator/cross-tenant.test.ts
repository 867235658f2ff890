import { ClientAssertionCredential, ManagedIdentityCredential } from "@azure/identity";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/src/index.ts";
import type { AppRegistration, Emulator, ManagedIdentity } from "../../emulator/src/index.ts";
import { FeedClient, startTrusted } from "./helpers.ts";

// Tenant A is the MSSP's: it registers the multi-tenant app and owns the managed identity the app trusts.
const MSSP_TENANT = "a0a0a0a0-1111-4222-8333-444444444444";
const CONSENTING_TENANT = "b0b0b0b0-1111-4222-8333-444444444444";
const OTHER_TENANT = "c0c0c0c0-1111-4222-8333-444444444444";
const MSSP_APP = "a0a0a0a0-aaaa-4bbb-8ccc-000000000001";
const SINGLE_TENANT_APP = "a0a0a0a0-aaaa-4bbb-8ccc-000000000002";
const SCOPE = "https://manage.office.com/.default";
const ROLES = ["ActivityFeed.Read", "ActivityFeed.ReadDlp"];

const identity: ManagedIdentity = {
  clientId: "a0a0a0a0-5555-4666-8777-000000000001",
  principalId: "a0a0a0a0-5555-4666-8777-000000000002",
  tenantId: MSSP_TENANT,
};
const foreignIdentity: ManagedIdentity = {
  clientId: "c0c0c0c0-5555-4666-8777-000000000001",
  principalId: "c0c0c0c0-5555-4666-8777-000000000002",
  tenantId: OTHER_TENANT,
};

function trustingApp(clientId: string, trusted: ManagedIdentity, signInAudience: "AzureADMyOrg" | "AzureADMultipleOrgs"): AppRegistration {
  return {
    tenantId: MSSP_TENANT,
    clientId,
    signInAudience,
    secrets: [],
    certificatePems: [],
    federatedCredentials: [
      { issuer: `https://login.microsoftonline.com/${trusted.tenantId}/v2.0`, subject: trusted.principalId, audiences: ["api://AzureADTokenExchange"] },
    ],
    roles: [],
  };
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("a multi-tenant app consented in another tenant (cross-tenant exchange)", () => {
  let emulator: Emulator;

  beforeAll(async () => {
    emulator = await startTrusted({
      managedIdentities: [identity, foreignIdentity],
      tenants: [
        { tenantId: MSSP_TENANT, apps: [trustingApp(MSSP_APP, identity, "AzureADMultipleOrgs"), trustingApp(SINGLE_TENANT_APP, identity, "AzureADMyOrg")] },
        { tenantId: CONSENTING_TENANT, apps: [], consents: [{ clientId: MSSP_APP, roles: ROLES }] },
        { tenantId: OTHER_TENANT, apps: [] },
      ],
    });
  });
  afterAll(() => emulator.close());

  /** The managed identity's token for the exchange audience, from the emulator's managed identity endpoint. */
  async function assertionOf(managedIdentity: ManagedIdentity): Promise<string> {
    const saved = { endpoint: process.env["IDENTITY_ENDPOINT"], header: process.env["IDENTITY_HEADER"] };
    process.env["IDENTITY_ENDPOINT"] = emulator.managedIdentityUrl;
    process.env["IDENTITY_HEADER"] = emulator.identity.managedIdentityHeader;
    try {
      return (await new ManagedIdentityCredential(managedIdentity.clientId).getToken("api://AzureADTokenExchange")).token;
    } finally {
      for (const [name, value] of [
        ["IDENTITY_ENDPOINT", saved.endpoint],
        ["IDENTITY_HEADER", saved.header],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  }

  /** The token endpoint's raw answer to the exchange, for the status and body the credential hides. */
  async function exchange(tenantId: string, clientId: string, assertion: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope: SCOPE,
    });
    const res = await request(`${emulator.authorityUrl}/${tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
  }

  it("should issue the consenting tenant's token, with the roles granted there, to the managed identity's assertion", async () => {
    const credential = new ClientAssertionCredential(CONSENTING_TENANT, MSSP_APP, () => assertionOf(identity), {
      authorityHost: emulator.authorityUrl,
      disableInstanceDiscovery: true,
    });
    const token = (await credential.getToken(SCOPE)).token;
    expect(claimsOf(token)).toMatchObject({ tid: CONSENTING_TENANT, appid: MSSP_APP, roles: ROLES, iss: `https://sts.windows.net/${CONSENTING_TENANT}/` });
    const subscriptions = await new FeedClient(emulator, CONSENTING_TENANT, token).subscriptions();
    expect(subscriptions.status).toBe(200);
  });

  it("should give the app a service principal object id of its own in each tenant", async () => {
    const assertion = await assertionOf(identity);
    emulator.identity.consents.push({ tenantId: OTHER_TENANT, clientId: MSSP_APP, roles: [] });
    try {
      const here = await exchange(CONSENTING_TENANT, MSSP_APP, assertion);
      const there = await exchange(OTHER_TENANT, MSSP_APP, assertion);
      const oid = (answer: { body: Record<string, unknown> }) => claimsOf(String(answer.body["access_token"]))["oid"];
      expect(oid(here)).not.toBe(oid(there));
      // Consent without roles: Entra issues the token and leaves `roles` out.
      expect(claimsOf(String(there.body["access_token"]))).not.toHaveProperty("roles");
    } finally {
      emulator.identity.consents.splice(emulator.identity.consents.length - 1, 1);
    }
  });

  it("should refuse a tenant that never consented with 401 AADSTS7000229, naming the app and the tenant", async () => {
    const answer = await exchange(OTHER_TENANT, MSSP_APP, await assertionOf(identity));
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: "invalid_client", error_codes: [7000229] });
    expect(String(answer.body["error_description"])).toMatch(
      new RegExp(`^AADSTS7000229: The client application ${MSSP_APP} is missing service principal in the tenant ${OTHER_TENANT}\\.`),
    );
  });

  it("should refuse the consenting tenant once its service principal is deleted, and accept it again after a new consent", async () => {
    const assertion = await assertionOf(identity);
    const index = emulator.identity.consents.findIndex((consent) => consent.tenantId === CONSENTING_TENANT);
    const [removed] = emulator.identity.consents.splice(index, 1);
    try {
      expect((await exchange(CONSENTING_TENANT, MSSP_APP, assertion)).body).toMatchObject({ error_codes: [7000229] });
    } finally {
      if (removed !== undefined) emulator.identity.consents.push(removed);
    }
    expect((await exchange(CONSENTING_TENANT, MSSP_APP, assertion)).status).toBe(200);
  });

  it("should not let a single-tenant app reach another tenant (AADSTS700016)", async () => {
    const answer = await exchange(CONSENTING_TENANT, SINGLE_TENANT_APP, await assertionOf(identity));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: "unauthorized_client", error_codes: [700016] });
    expect((await exchange(MSSP_TENANT, SINGLE_TENANT_APP, await assertionOf(identity))).status).toBe(200);
  });

  it("should refuse a managed identity of another tenant as the app's credential (AADSTS700236)", async () => {
    const app = emulator.identity.apps.find((entry) => entry.clientId === MSSP_APP);
    if (app === undefined) throw new Error("the MSSP app is registered above");
    app.federatedCredentials.push({
      issuer: `https://login.microsoftonline.com/${OTHER_TENANT}/v2.0`,
      subject: foreignIdentity.principalId,
      audiences: ["api://AzureADTokenExchange"],
    });
    try {
      const answer = await exchange(CONSENTING_TENANT, MSSP_APP, await assertionOf(foreignIdentity));
      expect(answer.body).toMatchObject({ error_codes: [700236] });
      expect(String(answer.body["error_description"])).toContain(`issuer 'https://login.microsoftonline.com/${OTHER_TENANT}/v2.0'`);
    } finally {
      app.federatedCredentials.pop();
    }
  });

  it("should refuse at start a consent to an app that is not multi-tenant, naming the option", async () => {
    await expect(
      startEmulator({
        tenants: [
          { tenantId: MSSP_TENANT, apps: [trustingApp(SINGLE_TENANT_APP, identity, "AzureADMyOrg")] },
          { tenantId: CONSENTING_TENANT, apps: [], consents: [{ clientId: SINGLE_TENANT_APP, roles: ROLES }] },
        ],
      }),
    ).rejects.toThrow(
      /tenants\[\]\.consents` of tenant b0b0b0b0-1111-4222-8333-444444444444 names a0a0a0a0-aaaa-4bbb-8ccc-000000000002, which is not a multi-tenant app/,
    );
  });
});
