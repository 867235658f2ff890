import { createPrivateKey, X509Certificate } from "node:crypto";
import { once } from "node:events";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCertificateAuthority, createClientCertificate } from "../../emulator/src/tls.ts";

function get(url: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, ca === undefined ? {} : { ca }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
  });
}

describe("tls", () => {
  const ca = createCertificateAuthority();
  let server: https.Server;
  let port = 0;

  beforeAll(async () => {
    const { certPem, keyPem } = ca.issueServerCertificate(["localhost", "127.0.0.1"]);
    server = https.createServer({ cert: certPem, key: keyPem }, (_req, res) => res.end("hello"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("should be trusted by a client given only the CA, by IP and by DNS name", async () => {
    expect(await get(`https://127.0.0.1:${port}/`, ca.caPem)).toBe("hello");
    expect(await get(`https://localhost:${port}/`, ca.caPem)).toBe("hello");
  });

  it("should be rejected by a client that does not trust the CA", async () => {
    await expect(get(`https://127.0.0.1:${port}/`)).rejects.toThrow(/certificate/i);
  });

  it("should be rejected by a client trusting a different CA", async () => {
    await expect(get(`https://127.0.0.1:${port}/`, createCertificateAuthority().caPem)).rejects.toThrow(/certificate/i);
  });

  it("should list the requested names in the subjectAltName", () => {
    const { certPem } = ca.issueServerCertificate(["emulator.test", "127.0.0.1"]);
    const cert = new X509Certificate(certPem);
    expect(cert.subjectAltName).toBe("DNS:emulator.test, IP Address:127.0.0.1");
    expect(cert.verify(new X509Certificate(ca.caPem).publicKey)).toBe(true);
  });

  it("should create a self-signed RSA 2048 client certificate with matching thumbprints", () => {
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const notAfter = new Date("2027-01-01T00:00:00Z");
    const client = createClientCertificate("auditfeed-collector", { notBefore, notAfter });
    const cert = new X509Certificate(client.certPem);
    expect(cert.subject).toBe("CN=auditfeed-collector");
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(client.keyPem))).toBe(true);
    expect(cert.fingerprint.replaceAll(":", "").toLowerCase()).toBe(client.thumbprintSha1);
    expect(cert.fingerprint256.replaceAll(":", "").toLowerCase()).toBe(client.thumbprintSha256);
    expect(new Date(cert.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(cert.validTo).toISOString()).toBe(notAfter.toISOString());
  });
});
