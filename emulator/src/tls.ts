import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

/** A throwaway certificate authority: clients that trust `caPem` trust every server certificate it issues. */
export interface CertificateAuthority {
  readonly caPem: string;
  /** Issues a server certificate whose subjectAltName lists each hostname (DNS names and IP literals alike). */
  issueServerCertificate(hostnames: string[]): { certPem: string; keyPem: string };
  /** Issues a client certificate (extKeyUsage clientAuth), as a receiver that verifies its senders expects (syslog over TLS). */
  issueClientCertificate(commonName: string): { certPem: string; keyPem: string };
}

/** A self-signed certificate as registered on an Entra app's certificate credentials. */
export interface ClientCertificate {
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** Hex SHA-1 of the DER certificate (what Entra shows as the thumbprint, and MSAL sends as `x5t`). */
  thumbprintSha1: string;
  /** Hex SHA-256 of the DER certificate (MSAL sends it as `x5t#S256`). */
  thumbprintSha256: string;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

interface KeyPair {
  keyPem: string;
  forgePrivateKey: forge.pki.rsa.PrivateKey;
  forgePublicKey: forge.pki.rsa.PublicKey;
}

const DAY_MS = 86_400_000;

/** Node's native RSA keygen: forge's pure-JS keygen takes seconds per key. */
function generateRsaKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pkcs1 = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    forgePrivateKey: forge.pki.privateKeyFromPem(pkcs1),
    forgePublicKey: forge.pki.publicKeyFromPem(spki),
  };
}

/** A positive serial number (leading 0 nibble keeps the DER INTEGER from reading as negative). */
function randomSerial(): string {
  return "0" + randomBytes(15).toString("hex").slice(1);
}

function defaultValidity(): Validity {
  const now = Date.now();
  return { notBefore: new Date(now - DAY_MS), notAfter: new Date(now + 365 * DAY_MS) };
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, subject: forge.pki.CertificateField[], validity: Validity): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = validity.notAfter;
  cert.setSubject(subject);
  return cert;
}

function subjectAltNames(hostnames: string[]): Array<{ type: number; value?: string; ip?: string }> {
  // GeneralName tags: 2 = dNSName, 7 = iPAddress.
  return hostnames.map((name) => (isIP(name) === 0 ? { type: 2, value: name } : { type: 7, ip: name }));
}

export function createCertificateAuthority(): CertificateAuthority {
  const caKeys = generateRsaKeyPair();
  const caSubject = [{ name: "commonName", value: "auditfeed emulator CA" }];
  const caCert = newCertificate(caKeys.forgePublicKey, caSubject, defaultValidity());
  caCert.setIssuer(caSubject);
  caCert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  caCert.sign(caKeys.forgePrivateKey, forge.md.sha256.create());

  return {
    caPem: forge.pki.certificateToPem(caCert),
    issueServerCertificate(hostnames) {
      if (hostnames.length === 0) throw new RangeError("issueServerCertificate needs at least one hostname for the subjectAltName.");
      const keys = generateRsaKeyPair();
      const cert = newCertificate(keys.forgePublicKey, [{ name: "commonName", value: hostnames[0] ?? "" }], defaultValidity());
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", serverAuth: true },
        { name: "subjectAltName", altNames: subjectAltNames(hostnames) },
        { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ]);
      cert.sign(caKeys.forgePrivateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
    },
    issueClientCertificate(commonName) {
      const keys = generateRsaKeyPair();
      const cert = newCertificate(keys.forgePublicKey, [{ name: "commonName", value: commonName }], defaultValidity());
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: "basicConstraints", cA: false },
        { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
        { name: "extKeyUsage", clientAuth: true },
        { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
      ]);
      cert.sign(caKeys.forgePrivateKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.keyPem };
    },
  };
}

export function createClientCertificate(commonName: string, validity: Validity = defaultValidity()): ClientCertificate {
  const keys = generateRsaKeyPair();
  const subject = [{ name: "commonName", value: commonName }];
  const cert = newCertificate(keys.forgePublicKey, subject, validity);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, critical: true },
    { name: "extKeyUsage", clientAuth: true },
  ]);
  cert.sign(keys.forgePrivateKey, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  return {
    certPem: forge.pki.certificateToPem(cert),
    keyPem: keys.keyPem,
    thumbprintSha1: createHash("sha1").update(der).digest("hex"),
    thumbprintSha256: createHash("sha256").update(der).digest("hex"),
  };
}
