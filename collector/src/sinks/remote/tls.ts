import { readFileSync } from "node:fs";
import { getCACertificates } from "node:tls";
import { AuditfeedError } from "../../errors.ts";
import { isUntrustedCertificate } from "../../net/reachability.ts";

/** AF_ERR_TLS when `error` is a refusal of the sink's certificate, so the flush fails at once rather than after minutes of retries. */
export function untrustedCertificate(error: unknown, origin: string): AuditfeedError | undefined {
  const code = (error as { code?: unknown }).code;
  // Retrying cannot help until the configuration changes.
  if (typeof code !== "string" || !isUntrustedCertificate(code)) return undefined;
  return new AuditfeedError(
    "AF_ERR_TLS",
    `The TLS certificate of the sink ${origin} is not trusted (${code}): give the CA that signed it with sinkCaFile (--sink-ca-file).`,
    { cause: error },
  );
}

/** The CAs a sink trusts: the system's, plus the PEM `caFile` (sinkCaFile) for this destination only. */
export function trustedCas(caFile: string): string[] {
  try {
    return [...getCACertificates("default"), readFileSync(caFile, "utf8")];
  } catch (error) {
    throw new AuditfeedError(
      "AF_ERR_CONFIG",
      `The sink's CA file ${caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}): give a PEM CA certificate (sinkCaFile).`,
      { cause: error },
    );
  }
}
