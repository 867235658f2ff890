import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { ClientAssertionCredential, ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentityProvider } from "../../emulator/src/identity/index.ts";
import type { AppRegistration } from "../../emulator/src/identity/index.ts";
import { createCertificateAuthority } from "../../emulator/src/tls.ts";

// Its own file: @azure/identity keeps the managed identity endpoint it found first for the whole process.

const TENANT = "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c";
const SECRET_APP = "0a1b2c3d-1111-4e5f-8a9b-0c1d2e3f4a5b";
const FEDERATED_APP = "0a1b2c3d-3333-4e5f-8a9b-0c1d2e3f4a5b";
const MI_CLIENT_ID = "5e6f7a8b-4444-4c5d-9e0f-1a2b3c4d5e6f";
const MI_PRINCIPAL_ID = "9c8b7a6f-5555-4d3c-8b2a-1f0e9d8c7b6a";
const SECRET = "emulator-secret-value-Q~abc123";
const ca = createCertificateAuthority();

function app(clientId: string, overrides: Partial<AppRegistration> = {}): AppRegistration {
  return { tenantId: TENANT, clientId, secrets: [], certificatePems: [], federatedCredentials: [], roles: ["ActivityFeed.Read"], ...overrides };
}

function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

async function listen(server: http.Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

describe("emulator identity provider in US Government (GCC High)", () => {
  const GOV_AUDIENCE = "https://manage.office365.us";
  const GOV_EXCHANGE = "api://AzureADTokenExchangeUSGov";
  const federated = app(FEDERATED_APP, {
    // Both audiences listed: the cloud, not the credential, decides which assertion Entra takes.
    federatedCredentials: [
      { issuer: `https://login.microsoftonline.us/${TENANT}/v2.0`, subject: MI_PRINCIPAL_ID, audiences: [GOV_EXCHANGE, "api://AzureADTokenExchange"] },
    ],
  });
  const provider = createIdentityProvider({
    cloud: "gcchigh",
    apps: [app(SECRET_APP, { secrets: [SECRET] }), federated],
    managedIdentities: [{ clientId: MI_CLIENT_ID, principalId: MI_PRINCIPAL_ID, tenantId: TENANT }],
  });
  const { certPem, keyPem } = ca.issueServerCertificate(["127.0.0.1"]);
  let authorityUrl = "";
  const authority = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    void provider.handleAuthority(req, res, authorityUrl).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  const managedIdentity = http.createServer((req, res) => void provider.handleManagedIdentity(req, res));
  const options = () => ({ authorityHost: authorityUrl, disableInstanceDiscovery: true });

  beforeAll(async () => {
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca.caPem]);
    authorityUrl = `https://127.0.0.1:${await listen(authority)}`;
    process.env["IDENTITY_ENDPOINT"] = `http://127.0.0.1:${await listen(managedIdentity)}/msi/token`;
    process.env["IDENTITY_HEADER"] = provider.managedIdentityHeader;
  });

  afterAll(async () => {
    delete process.env["IDENTITY_ENDPOINT"];
    delete process.env["IDENTITY_HEADER"];
    await Promise.all([authority, managedIdentity].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  function assertionFor(exchangeAudience: string): () => Promise<string> {
    return async () => (await new ManagedIdentityCredential(MI_CLIENT_ID).getToken(exchangeAudience)).token;
  }

  it("should issue tokens for the cloud's Management API scope only, and accept only those", async () => {
    const token = await new ClientSecretCredential(TENANT, SECRET_APP, SECRET, options()).getToken(`${GOV_AUDIENCE}/.default`);
    expect(decodeClaims(token.token)).toMatchObject({ aud: GOV_AUDIENCE, tid: TENANT, appid: SECRET_APP });
    expect(provider.verifyBearer(`Bearer ${token.token}`).ok).toBe(true);
    await expect(new ClientSecretCredential(TENANT, SECRET_APP, SECRET, options()).getToken("https://manage.office.com/.default")).rejects.toThrow(
      /AADSTS500011/,
    );
  });

  it("should sign managed identity tokens as the cloud's login host, and take them only for the US Government exchange audience", async () => {
    expect(decodeClaims(await assertionFor(GOV_EXCHANGE)())).toMatchObject({ iss: `https://login.microsoftonline.us/${TENANT}/v2.0`, aud: GOV_EXCHANGE });
    const exchanged = await new ClientAssertionCredential(TENANT, FEDERATED_APP, assertionFor(GOV_EXCHANGE), options()).getToken(`${GOV_AUDIENCE}/.default`);
    expect(decodeClaims(exchanged.token)).toMatchObject({ aud: GOV_AUDIENCE, appid: FEDERATED_APP, appidacr: "2" });
    await expect(
      new ClientAssertionCredential(TENANT, FEDERATED_APP, assertionFor("api://AzureADTokenExchange"), options()).getToken(`${GOV_AUDIENCE}/.default`),
    ).rejects.toThrow(/AADSTS70021/);
  });
});
