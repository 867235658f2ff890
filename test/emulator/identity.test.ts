import { createPrivateKey, randomUUID, sign, X509Certificate } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIdentityProvider } from "../../emulator/src/identity/index.ts";
import type { AppRegistration, IdentityProvider } from "../../emulator/src/identity/index.ts";
import { createCertificateAuthority, createClientCertificate } from "../../emulator/src/tls.ts";

const AUDIENCE = "https://manage.office.com";
const SCOPE = `${AUDIENCE}/.default`;
const TENANT = "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c";
const SECRET_APP = "0a1b2c3d-1111-4e5f-8a9b-0c1d2e3f4a5b";
const CERT_APP = "0a1b2c3d-2222-4e5f-8a9b-0c1d2e3f4a5b";
const FEDERATED_APP = "0a1b2c3d-3333-4e5f-8a9b-0c1d2e3f4a5b";
const MI_CLIENT_ID = "5e6f7a8b-4444-4c5d-9e0f-1a2b3c4d5e6f";
const MI_PRINCIPAL_ID = "9c8b7a6f-5555-4d3c-8b2a-1f0e9d8c7b6a";
const SECRET = "emulator-secret-value-Q~abc123";
const WORKLOAD_SUBJECT = "system:serviceaccount:auditfeed:collector";

const ca = createCertificateAuthority();
const registeredCert = createClientCertificate("auditfeed-collector");
const unregisteredCert = createClientCertificate("somebody-else");
const expiredCert = createClientCertificate("auditfeed-expired", {
  notBefore: new Date("2024-01-01T00:00:00Z"),
  notAfter: new Date("2025-01-01T00:00:00Z"),
});

function app(clientId: string, overrides: Partial<AppRegistration> = {}): AppRegistration {
  return {
    tenantId: TENANT,
    clientId,
    secrets: [],
    certificatePems: [],
    federatedCredentials: [],
    roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
    ...overrides,
  };
}

interface Authority {
  provider: IdentityProvider;
  baseUrl: string;
  close(): Promise<void>;
}

/** An HTTPS authority that the real credentials reach, with a certificate issued by the test CA. */
async function startAuthority(provider: IdentityProvider): Promise<Authority> {
  const { certPem, keyPem } = ca.issueServerCertificate(["127.0.0.1", "localhost"]);
  let baseUrl = "";
  const server = https.createServer({ cert: certPem, key: keyPem }, (req, res) => {
    void provider.handleAuthority(req, res, baseUrl).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { provider, baseUrl, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

interface RawResponse {
  status: number;
  body: string;
}

/** A raw request for what the credentials cannot show (status codes, error bodies, endpoints MSAL skips). */
function request(url: string, options: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Promise<RawResponse> {
  const body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
  const headers = { ...options.headers, ...(body === undefined ? {} : { "content-type": "application/x-www-form-urlencoded" }) };
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method: options.method ?? (body === undefined ? "GET" : "POST"), headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A private_key_jwt as clients other than MSAL 3+ build it: RS256 with the SHA-1 thumbprint in `x5t`. */
function rs256Assertion(cert: { certPem: string; keyPem: string }, claims: Record<string, unknown>): string {
  const x5t = Buffer.from(new X509Certificate(cert.certPem).fingerprint.replaceAll(":", ""), "hex").toString("base64url");
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "RS256", typ: "JWT", x5t })}.${encode(claims)}`;
  return `${signingInput}.${sign("sha256", Buffer.from(signingInput), createPrivateKey(cert.keyPem)).toString("base64url")}`;
}

/** Runs `body` with environment variables set, restoring the previous values afterwards. */
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe("emulator identity provider", () => {
  const provider = createIdentityProvider({
    cloud: "commercial",
    apps: [
      app(SECRET_APP, { secrets: [SECRET] }),
      app(CERT_APP, { certificatePems: [registeredCert.certPem, expiredCert.certPem], roles: ["ActivityFeed.Read"] }),
      app(FEDERATED_APP, {
        federatedCredentials: [
          { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, subject: MI_PRINCIPAL_ID, audiences: ["api://AzureADTokenExchange"] },
        ],
      }),
    ],
    managedIdentities: [{ clientId: MI_CLIENT_ID, principalId: MI_PRINCIPAL_ID, tenantId: TENANT }],
  });
  let authority: Authority;
  let miServer: http.Server;
  let identityEndpoint = "";
  let workDir = "";
  const credentialOptions = () => ({ authorityHost: authority.baseUrl, disableInstanceDiscovery: true });

  beforeAll(async () => {
    tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca.caPem]);
    authority = await startAuthority(provider);
    miServer = http.createServer((req, res) => void provider.handleManagedIdentity(req, res));
    miServer.listen(0, "127.0.0.1");
    await once(miServer, "listening");
    identityEndpoint = `http://127.0.0.1:${(miServer.address() as AddressInfo).port}/msi/token`;
    workDir = await mkdtemp(join(tmpdir(), "auditfeed-identity-"));
  });

  afterAll(async () => {
    await authority.close();
    await new Promise<void>((resolve) => miServer.close(() => resolve()));
    await rm(workDir, { recursive: true, force: true });
  });

  /** A client assertion taken from the real ManagedIdentityCredential against the emulator's managed identity endpoint. */
  function managedIdentityAssertion(): Promise<string> {
    return withEnv({ IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER: provider.managedIdentityHeader }, async () => {
      const credential = new ManagedIdentityCredential(MI_CLIENT_ID);
      return (await credential.getToken("api://AzureADTokenExchange")).token;
    });
  }

  describe("client secret", () => {
    it("should issue a v1 app token carrying tid, aud, appid and the granted roles", async () => {
      const before = Math.floor(Date.now() / 1000);
      const token = await new ClientSecretCredential(TENANT, SECRET_APP, SECRET, credentialOptions()).getToken(SCOPE);
      const claims = decodeClaims(token.token);
      expect(claims).toMatchObject({
        tid: TENANT,
        aud: AUDIENCE,
        appid: SECRET_APP,
        appidacr: "1",
        iss: `https://sts.windows.net/${TENANT}/`,
        roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
        ver: "1.0",
      });
      expect(claims["exp"]).toBeGreaterThanOrEqual(before + 3599);
      // MSAL derives expiresOnTimestamp from its own clock plus expires_in, so it can differ from exp by a second.
      expect(Math.abs(token.expiresOnTimestamp - (claims["exp"] as number) * 1000)).toBeLessThanOrEqual(2000);
      expect(provider.verifyBearer(`Bearer ${token.token}`)).toEqual({
        ok: true,
        token: { tid: TENANT, appid: SECRET_APP, aud: AUDIENCE, roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"], exp: claims["exp"] },
      });
    });

    it("should reject a wrong secret with AADSTS7000215 and never echo the secret", async () => {
      const wrong = "not-the-secret-Q~zzz";
      const credential = new ClientSecretCredential(TENANT, SECRET_APP, wrong, credentialOptions());
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/AADSTS7000215/);
      const raw = await request(`${authority.baseUrl}/${TENANT}/oauth2/v2.0/token`, {
        form: { grant_type: "client_credentials", client_id: SECRET_APP, client_secret: wrong, scope: SCOPE },
      });
      expect(raw.status).toBe(401);
      expect(JSON.parse(raw.body)).toMatchObject({ error: "invalid_client", error_codes: [7000215] });
      expect(raw.body).not.toContain(wrong);
    });

    it("should reject an unknown client with AADSTS700016", async () => {
      const credential = new ClientSecretCredential(TENANT, "0a1b2c3d-9999-4e5f-8a9b-0c1d2e3f4a5b", SECRET, credentialOptions());
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/AADSTS700016/);
    });

    it("should reject a scope for another resource with AADSTS500011", async () => {
      const credential = new ClientSecretCredential(TENANT, SECRET_APP, SECRET, credentialOptions());
      await expect(credential.getToken("https://graph.microsoft.com/.default")).rejects.toThrow(/AADSTS500011/);
    });

    it("should answer an unknown tenant with AADSTS90002 on discovery and on the token endpoint", async () => {
      const unknown = "00000000-0000-4000-8000-000000000000";
      const credential = new ClientSecretCredential(unknown, SECRET_APP, SECRET, credentialOptions());
      // MSAL fails endpoint discovery before it reaches the token endpoint, as it does against Entra.
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/endpoints_resolution_error/);
      const discovery = await request(`${authority.baseUrl}/${unknown}/v2.0/.well-known/openid-configuration`);
      expect(discovery.status).toBe(400);
      expect(JSON.parse(discovery.body)).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
      const token = await request(`${authority.baseUrl}/${unknown}/oauth2/v2.0/token`, {
        form: { grant_type: "client_credentials", client_id: SECRET_APP, client_secret: SECRET, scope: SCOPE },
      });
      expect(token.status).toBe(400);
      expect(JSON.parse(token.body)).toMatchObject({ error_codes: [90002] });
    });

    it("should put the app's roles at issue time into the next token", async () => {
      const secretApp = provider.apps.find((entry) => entry.clientId === SECRET_APP);
      if (secretApp === undefined) throw new Error("the secret app is registered above");
      const granted = [...secretApp.roles];
      try {
        secretApp.roles = ["ActivityFeed.Read"];
        // A new credential: MSAL would otherwise serve the cached token, as it does in production.
        const revoked = await new ClientSecretCredential(TENANT, SECRET_APP, SECRET, credentialOptions()).getToken(SCOPE);
        expect(decodeClaims(revoked.token)["roles"]).toEqual(["ActivityFeed.Read"]);
        secretApp.roles = [];
        const none = await new ClientSecretCredential(TENANT, SECRET_APP, SECRET, credentialOptions()).getToken(SCOPE);
        expect(decodeClaims(none.token)).not.toHaveProperty("roles");
        expect(provider.verifyBearer(`Bearer ${none.token}`)).toMatchObject({ ok: true, token: { roles: [] } });
      } finally {
        secretApp.roles = granted;
      }
    });
  });

  describe("client certificate", () => {
    it("should accept an assertion signed by a registered certificate, read from a PEM with cert and key", async () => {
      const certificatePath = join(workDir, "collector.pem");
      await writeFile(certificatePath, `${registeredCert.certPem}${registeredCert.keyPem}`);
      const token = await new ClientCertificateCredential(TENANT, CERT_APP, { certificatePath }, credentialOptions()).getToken(SCOPE);
      expect(decodeClaims(token.token)).toMatchObject({ tid: TENANT, appid: CERT_APP, appidacr: "2", roles: ["ActivityFeed.Read"] });
    });

    it("should accept the certificate chain option (x5c header) too", async () => {
      const certificatePath = join(workDir, "collector-chain.pem");
      await writeFile(certificatePath, `${registeredCert.certPem}${registeredCert.keyPem}`);
      const credential = new ClientCertificateCredential(TENANT, CERT_APP, { certificatePath }, { ...credentialOptions(), sendCertificateChain: true });
      expect(decodeClaims((await credential.getToken(SCOPE)).token)).toMatchObject({ appid: CERT_APP });
    });

    it("should reject a certificate that is not registered with AADSTS700027", async () => {
      const certificatePath = join(workDir, "stranger.pem");
      await writeFile(certificatePath, `${unregisteredCert.certPem}${unregisteredCert.keyPem}`);
      const credential = new ClientCertificateCredential(TENANT, CERT_APP, { certificatePath }, credentialOptions());
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/AADSTS700027.*key was not found/);
    });

    it("should reject a registered certificate past its notAfter", async () => {
      const certificatePath = join(workDir, "expired.pem");
      await writeFile(certificatePath, `${expiredCert.certPem}${expiredCert.keyPem}`);
      const credential = new ClientCertificateCredential(TENANT, CERT_APP, { certificatePath }, credentialOptions());
      await expect(credential.getToken(SCOPE)).rejects.toThrow(/AADSTS700027.*expired/);
    });
  });

  describe("client assertion checks", () => {
    function assertionRequest(assertion: string) {
      return request(`${authority.baseUrl}/${TENANT}/oauth2/v2.0/token`, {
        form: {
          grant_type: "client_credentials",
          client_id: CERT_APP,
          client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
          client_assertion: assertion,
          scope: SCOPE,
        },
      });
    }
    function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
      const now = Math.floor(Date.now() / 1000);
      return {
        aud: `${authority.baseUrl}/${TENANT}/oauth2/v2.0/token`,
        iss: CERT_APP,
        sub: CERT_APP,
        jti: randomUUID(),
        nbf: now,
        exp: now + 600,
        ...overrides,
      };
    }

    it("should accept an RS256 assertion that names its certificate by the SHA-1 x5t", async () => {
      const raw = await assertionRequest(rs256Assertion(registeredCert, claims()));
      expect(raw.status).toBe(200);
      expect(JSON.parse(raw.body)).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    });

    it.each([
      ["an expired assertion", { exp: 1_700_000_000, nbf: 1_699_999_400 }, 700024],
      ["an assertion for another token endpoint", { aud: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token` }, 700212],
      ["an assertion whose subject is not the client", { sub: SECRET_APP }, 700023],
    ])("should reject %s", async (_name, overrides, code) => {
      const raw = await assertionRequest(rs256Assertion(registeredCert, claims(overrides)));
      expect(JSON.parse(raw.body)).toMatchObject({ error: "invalid_client", error_codes: [code] });
    });

    it("should reject an assertion signed by another key than the certificate it names", async () => {
      const [header, payload] = rs256Assertion(registeredCert, claims()).split(".");
      const [, , foreignSignature] = rs256Assertion(unregisteredCert, claims()).split(".");
      const raw = await assertionRequest(`${header}.${payload}.${foreignSignature}`);
      expect(raw.status).toBe(401);
      expect(JSON.parse(raw.body)).toMatchObject({ error_codes: [700027] });
    });
  });

  describe("managed identity as a federated credential", () => {
    it("should serve managed identity tokens whose iss and sub are what a federated credential names", async () => {
      const claims = decodeClaims(await managedIdentityAssertion());
      expect(claims).toMatchObject({
        aud: "api://AzureADTokenExchange",
        iss: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        sub: MI_PRINCIPAL_ID,
        tid: TENANT,
      });
    });

    it("should exchange the managed identity token for an app token when the federated credential matches", async () => {
      const credential = new ClientAssertionCredential(TENANT, FEDERATED_APP, managedIdentityAssertion, credentialOptions());
      const token = await credential.getToken(SCOPE);
      expect(decodeClaims(token.token)).toMatchObject({ tid: TENANT, appid: FEDERATED_APP, aud: AUDIENCE, appidacr: "2" });
      expect(provider.verifyBearer(`Bearer ${token.token}`).ok).toBe(true);
    });

    it("should reject the exchange with AADSTS700213 when the federated subject differs", async () => {
      const federatedApp = provider.apps.find((entry) => entry.clientId === FEDERATED_APP);
      const record = federatedApp?.federatedCredentials[0];
      if (record === undefined) throw new Error("the federated app is registered above");
      const subject = record.subject;
      try {
        record.subject = "1b2c3d4e-6666-4f5a-8b9c-0d1e2f3a4b5c";
        const credential = new ClientAssertionCredential(TENANT, FEDERATED_APP, managedIdentityAssertion, credentialOptions());
        await expect(credential.getToken(SCOPE)).rejects.toThrow(/AADSTS700213/);
      } finally {
        record.subject = subject;
      }
    });

    it("should refuse managed identity requests without the identity header", async () => {
      const url = `${identityEndpoint}?api-version=2019-08-01&resource=api://AzureADTokenExchange&client_id=${MI_CLIENT_ID}`;
      expect((await request(url)).status).toBe(401);
      expect((await request(url, { headers: { "X-IDENTITY-HEADER": "guess" } })).status).toBe(401);
      expect((await request(url, { headers: { "X-IDENTITY-HEADER": provider.managedIdentityHeader } })).status).toBe(200);
    });
  });

  describe("workload identity", () => {
    it("should exchange a projected service-account token from AZURE_FEDERATED_TOKEN_FILE", async () => {
      const { token: projected, issuer } = provider.issueWorkloadIdentityToken(WORKLOAD_SUBJECT);
      const tokenFile = join(workDir, "azure-identity-token");
      await writeFile(tokenFile, projected);
      const workloadApp = app("0a1b2c3d-7777-4e5f-8a9b-0c1d2e3f4a5b", {
        federatedCredentials: [{ issuer, subject: WORKLOAD_SUBJECT, audiences: ["api://AzureADTokenExchange"] }],
      });
      provider.apps.push(workloadApp);
      try {
        const token = await withEnv({ AZURE_FEDERATED_TOKEN_FILE: tokenFile }, () =>
          new WorkloadIdentityCredential({ tenantId: TENANT, clientId: workloadApp.clientId, ...credentialOptions() }).getToken(SCOPE),
        );
        expect(decodeClaims(token.token)).toMatchObject({ tid: TENANT, appid: workloadApp.clientId });

        workloadApp.federatedCredentials = [{ issuer, subject: "system:serviceaccount:other:pod", audiences: ["api://AzureADTokenExchange"] }];
        await expect(
          new WorkloadIdentityCredential({ tenantId: TENANT, clientId: workloadApp.clientId, tokenFilePath: tokenFile, ...credentialOptions() }).getToken(
            SCOPE,
          ),
        ).rejects.toThrow(/AADSTS700213/);
      } finally {
        provider.apps.splice(provider.apps.indexOf(workloadApp), 1);
      }
    });
  });

  describe("verifyBearer", () => {
    let valid = "";
    beforeAll(async () => {
      valid = (await new ClientSecretCredential(TENANT, SECRET_APP, SECRET, credentialOptions()).getToken(SCOPE)).token;
    });

    it("should report a missing or malformed header", () => {
      expect(provider.verifyBearer(undefined)).toEqual({ ok: false, reason: "missing" });
      expect(provider.verifyBearer("")).toEqual({ ok: false, reason: "missing" });
      expect(provider.verifyBearer(`Basic ${valid}`)).toEqual({ ok: false, reason: "malformed" });
      expect(provider.verifyBearer("Bearer not-a-jwt")).toEqual({ ok: false, reason: "malformed" });
    });

    it("should reject a token whose claims were changed after signing", () => {
      const [header, payload, signature] = valid.split(".");
      const claims = JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp", "ServiceHealth.Read"] })).toString(
        "base64url",
      );
      expect(provider.verifyBearer(`Bearer ${header}.${forged}.${signature}`)).toEqual({ ok: false, reason: "bad-signature" });
    });

    it("should reject a token signed by another authority", async () => {
      const other = createIdentityProvider({ apps: [app(SECRET_APP, { secrets: [SECRET] })] });
      const otherAuthority = await startAuthority(other);
      try {
        const credential = new ClientSecretCredential(TENANT, SECRET_APP, SECRET, { authorityHost: otherAuthority.baseUrl, disableInstanceDiscovery: true });
        const foreign = (await credential.getToken(SCOPE)).token;
        expect(other.verifyBearer(`Bearer ${foreign}`).ok).toBe(true);
        expect(provider.verifyBearer(`Bearer ${foreign}`)).toEqual({ ok: false, reason: "bad-signature" });
      } finally {
        await otherAuthority.close();
      }
    });

    it("should reject an expired token by the wall clock", async () => {
      const shortLived = createIdentityProvider({ apps: [app(SECRET_APP, { secrets: [SECRET] })], tokenLifetimeSeconds: 0 });
      const shortAuthority = await startAuthority(shortLived);
      try {
        const raw = await request(`${shortAuthority.baseUrl}/${TENANT}/oauth2/v2.0/token`, {
          form: { grant_type: "client_credentials", client_id: SECRET_APP, client_secret: SECRET, scope: SCOPE },
        });
        const { access_token: expired } = JSON.parse(raw.body) as { access_token: string };
        expect(shortLived.verifyBearer(`Bearer ${expired}`)).toEqual({ ok: false, reason: "expired" });
      } finally {
        await shortAuthority.close();
      }
    });

    it("should reject a token for another audience", async () => {
      // The managed identity token is signed by the same authority key but addressed to the token exchange.
      expect(provider.verifyBearer(`Bearer ${await managedIdentityAssertion()}`)).toEqual({ ok: false, reason: "wrong-audience" });
    });
  });

  describe("discovery", () => {
    it("should point the OpenID configuration at the emulator", async () => {
      const raw = await request(`${authority.baseUrl}/${TENANT}/v2.0/.well-known/openid-configuration`);
      expect(JSON.parse(raw.body)).toMatchObject({
        token_endpoint: `${authority.baseUrl}/${TENANT}/oauth2/v2.0/token`,
        issuer: `${authority.baseUrl}/${TENANT}/v2.0`,
        jwks_uri: `${authority.baseUrl}/${TENANT}/discovery/v2.0/keys`,
      });
    });

    it("should answer instance discovery with the emulator host as the only alias", async () => {
      const authorize = encodeURIComponent(`${authority.baseUrl}/${TENANT}/oauth2/v2.0/authorize`);
      const raw = await request(`${authority.baseUrl}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`);
      const host = new URL(authority.baseUrl).host;
      expect(JSON.parse(raw.body)).toEqual({
        tenant_discovery_endpoint: `${authority.baseUrl}/${TENANT}/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      });
    });

    it("should leave paths outside the authority to the caller", async () => {
      expect((await request(`${authority.baseUrl}/api/v1.0/${TENANT}/activity/feed/subscriptions/list`)).status).toBe(404);
    });
  });
});
