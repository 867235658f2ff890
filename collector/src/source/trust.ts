import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { AuditfeedError } from "../errors.ts";

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Adds the PEM CA certificates in `caFile` to the process-wide default trust store, on top of the bundled roots.
 * Process-wide on purpose: undici and @azure/identity (node:https) both build their TLS contexts from the default,
 * so one call makes every HTTPS client of the collector trust, for example, the emulator's CA.
 */
export function trustExtraCa(caFile: string): void {
  let text: string;
  try {
    text = readFileSync(caFile, "utf8");
  } catch (error) {
    throw new AuditfeedError(
      "AF_ERR_CONFIG",
      `The CA file ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): give the path of a PEM CA certificate.`,
      { cause: error },
    );
  }
  const certificates = text.match(PEM_CERTIFICATE) ?? [];
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      throw new AuditfeedError("AF_ERR_CONFIG", `The CA file ${caFile} holds a certificate that does not parse: replace it with a valid PEM CA certificate.`, {
        cause: error,
      });
    }
  }
  if (certificates.length === 0) {
    throw new AuditfeedError(
      "AF_ERR_CONFIG",
      `The CA file ${caFile} holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA certificate in PEM form.`,
    );
  }
  setDefaultCACertificates([...getCACertificates("default"), ...certificates]);
}
