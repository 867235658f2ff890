import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLOUDS } from "../../../collector/src/config/clouds.ts";
import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { createCredential } from "../../../collector/src/source/credential.ts";
import { managedIdentityIssuer } from "../../../emulator/src/identity/tokens.ts";
import { createClientCertificate } from "../../../emulator/src/tls.ts";
import { CLIENT, SECRET, startAuthority, startHttpServer, TENANT, testConfig, type Authority, type TestServer } from "./fixtures/servers.ts";

const MANAGED_IDENTITY = { clientId: "11111111-2222-4333-8444-555555555555", principalId: "66666666-7777-4888-9999-000000000000", tenantId: TENANT };
const SCOPE = CLOUDS.commercial.scope;

let authority: Authority;
let managedIdentityEndpoint: TestServer;
const folder = mkdtempSync(join(tmpdir(), "auditfeed-credential-"));

beforeAll(async () => {
  authority = await startAuthority({}, [MANAGED_IDENTITY]);
  managedIdentityEndpoint = await startHttpServer((req, res) => authority.identity.handleManagedIdentity(req, res));
});
afterAll(async () => {
  await authority.server.close();
  await managedIdentityEndpoint.close();
});

function config(credential: CollectorConfig["credential"], endpoints: Partial<CollectorConfig["endpoints"]> = {}): CollectorConfig {
  const base = testConfig("https://127.0.0.1:1", authority.server.origin, { credential });
  return { ...base, endpoints: { ...base.endpoints, ...endpoints } };
}

async function tokenAppId(made: CollectorConfig): Promise<string | undefined> {
  const token = await createCredential(made).getToken(SCOPE);
  const check = authority.identity.verifyBearer(`Bearer ${token?.token ?? ""}`);
  return check.ok ? check.token.appid : undefined;
}

describe("createCredential", () => {
  it("should get a Management API token with a client secret", async () => {
    expect(await tokenAppId(config({ kind: "secret", clientSecret: SECRET }))).toBe(CLIENT);
  });

  it("should get a token with a certificate from a PEM file", async () => {
    const certificate = createClientCertificate("auditfeed-test");
    authority.identity.apps[0]?.certificatePems.push(certificate.certPem);
    const certificatePath = join(folder, "app.pem");
    writeFileSync(certificatePath, `${certificate.keyPem}\n${certificate.certPem}`);
    expect(await tokenAppId(config({ kind: "certificate", certificatePath }))).toBe(CLIENT);
  });

  it.each([
    ["a host that DNS cannot resolve", "https://login.auditfeed-test.invalid", "DNS cannot resolve login.auditfeed-test.invalid"],
    ["a refused connection", "https://127.0.0.1:1", "no TCP connection to 127.0.0.1:1 (ECONNREFUSED)"],
  ])("should report %s as a network error naming the host, not as an authentication error", async (_what, authorityUrl, reason) => {
    const made = config({ kind: "secret", clientSecret: SECRET }, { authorityUrl });
    const failure = await createCredential(made)
      .getToken(SCOPE)
      .then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string; retryable?: boolean },
      );
    expect(failure?.code).toBe("AF_ERR_NETWORK");
    expect(failure?.retryable).toBe(true);
    expect(failure?.message).toContain(`Entra's token endpoint cannot be reached: ${reason}`);
    expect(failure?.message).toContain("check DNS, the firewall or the proxy");
  });

  it("should get a token with a workload identity token file", async () => {
    const { token, issuer } = authority.identity.issueWorkloadIdentityToken("system:serviceaccount:auditfeed:collector");
    authority.identity.apps[0]?.federatedCredentials.push({
      issuer,
      subject: "system:serviceaccount:auditfeed:collector",
      audiences: ["api://AzureADTokenExchange"],
    });
    const tokenFile = join(folder, "workload-token");
    writeFileSync(tokenFile, token);
    process.env["AZURE_FEDERATED_TOKEN_FILE"] = tokenFile;
    try {
      expect(await tokenAppId(config({ kind: "workload-identity" }))).toBe(CLIENT);
    } finally {
      delete process.env["AZURE_FEDERATED_TOKEN_FILE"];
    }
  });

  it("should exchange a managed identity assertion for the app's token (federated)", async () => {
    authority.identity.apps[0]?.federatedCredentials.push({
      issuer: managedIdentityIssuer(TENANT, CLOUDS.commercial.authorityHost),
      subject: MANAGED_IDENTITY.principalId,
      audiences: ["api://AzureADTokenExchange"],
    });
    process.env["IDENTITY_HEADER"] = authority.identity.managedIdentityHeader;
    try {
      const made = config({ kind: "federated", managedIdentityClientId: MANAGED_IDENTITY.clientId }, { managedIdentityUrl: managedIdentityEndpoint.origin });
      expect(await tokenAppId(made)).toBe(CLIENT);
      const asked = managedIdentityEndpoint.requests.map((request) => new URL(request.url, managedIdentityEndpoint.origin).searchParams.get("resource"));
      expect(asked).toContain("api://AzureADTokenExchange");
    } finally {
      delete process.env["IDENTITY_HEADER"];
      delete process.env["IDENTITY_ENDPOINT"];
    }
  });
});
