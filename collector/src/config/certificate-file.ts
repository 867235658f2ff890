import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

const FROM_PFX = "from a .pfx, make it with: openssl pkcs12 -in app.pfx -out app.pem -nodes";

/**
 * What is wrong with the certificate credential's file, as the end of a sentence naming it; undefined when it is a PEM
 * file holding a certificate and its unencrypted private key, which is what @azure/identity reads from a path.
 * Checked with the configuration, so a wrong file is a configuration error (exit 2) and not a failed sign-in.
 */
export function certificateFileProblem(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the collector's user read access to it`;
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    return `is not a PEM file with a certificate: give one PEM file holding the certificate and its private key (${FROM_PFX})`;
  }
  try {
    new X509Certificate(text);
  } catch (error) {
    return `holds a certificate that cannot be read (${(error as Error).message}): give one PEM file holding the certificate and its private key (${FROM_PFX})`;
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    return `holds a certificate but no private key: append the key to the same PEM file (${FROM_PFX})`;
  }
  try {
    createPrivateKey(text);
  } catch (error) {
    const encrypted = /ENCRYPTED/.test(text);
    return encrypted
      ? `holds an encrypted private key, and the collector takes no passphrase: decrypt it (openssl pkey -in key.pem -out plain.pem, or ${FROM_PFX})`
      : `holds a private key that cannot be read (${(error as Error).message}): give one PEM file holding the certificate and its private key (${FROM_PFX})`;
  }
  return undefined;
}
