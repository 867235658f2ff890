import type { TokenCredential } from "@azure/identity";
import { destinationOf, isHandshakeRefused, isUntrustedCertificate, probe, type TlsProbe } from "../net/reachability.ts";

/**
 * What a sink's doctor check found: a pass with one sentence saying what was verified, or a failure with the concrete
 * fix (which option to change, what to ask of the receiver's administrator).
 */
export type SinkCheckResult = { readonly ok: true; readonly summary: string } | { readonly ok: false; readonly summary: string; readonly fix: string };

/** What a check may use: the command's stop, and the host's managed identity (a sink that signs in with it checks its token too). */
export interface SinkCheckDependencies {
  readonly signal: AbortSignal | undefined;
  readonly credential: () => TokenCredential;
}

export const checkPassed = (summary: string): SinkCheckResult => ({ ok: true, summary });
export const checkFailed = (summary: string, fix: string): SinkCheckResult => ({ ok: false, summary, fix });

/**
 * DNS, TCP and (with `tls`, the trust and client certificate the sink itself uses) a TLS handshake to the sink's URL:
 * the failure with the option to fix, or undefined when the destination answers. Every remote sink's check starts here.
 */
export async function unreachableSink(
  url: string,
  options: { tls?: TlsProbe; signal: AbortSignal | undefined; refusedFix?: string },
): Promise<SinkCheckResult | undefined> {
  const destination = destinationOf(url);
  const where = `${destination.host}:${destination.port}`;
  const found = await probe(destination, {
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (found.ok) return undefined;
  switch (found.step) {
    case "dns":
      return checkFailed(
        `DNS cannot resolve ${destination.host} (${found.code}).`,
        `Check the host name in sinkUrl (${url}), and that this host's DNS servers resolve it (a private DNS zone, a proxy's DNS policy).`,
      );
    case "tcp":
      return checkFailed(
        `No TCP connection to ${where} (${found.code}).`,
        `Check the port in sinkUrl, that the receiver listens there, and that the firewall (network security group, proxy allow-list) lets outbound TCP ${destination.port} to ${destination.host} through.`,
      );
    case "tls":
      if (isUntrustedCertificate(found.code)) {
        return checkFailed(
          `The TLS certificate of ${where} is not trusted (${found.code}).`,
          "Give the CA certificate that signs the receiver's certificate with sinkCaFile (--sink-ca-file, AUDITFEED_SINK_CA_FILE), and check that the certificate names the host of sinkUrl.",
        );
      }
      if (isHandshakeRefused(found.code) && options.refusedFix !== undefined) {
        return checkFailed(`${where} refused the TLS handshake (${found.code}).`, options.refusedFix);
      }
      return checkFailed(
        `The TLS handshake with ${where} failed (${found.code}).`,
        "Check that sinkUrl points at the receiver's TLS port (not a plain-text one) and that the receiver accepts TLS 1.2 or later.",
      );
  }
}
