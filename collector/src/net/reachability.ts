import { lookup } from "node:dns/promises";
import { isIP, connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import { abortable } from "../retry/backoff.ts";

/** Each step (DNS, TCP, TLS) gives up after this long: a firewall that drops packets answers nothing at all. */
const STEP_TIMEOUT_MS = 5_000;

/** A host and port to reach. */
export interface Destination {
  readonly host: string;
  readonly port: number;
}

/** TLS settings of the handshake to try: the trust and client certificate the real connection would use. */
export type TlsProbe = Pick<ConnectionOptions, "ca" | "cert" | "key" | "maxVersion">;

export type ProbeStep = "dns" | "tcp" | "tls";

/** The outcome of a probe: fine, or the first step that failed and its error code (ENOTFOUND, ECONNREFUSED, a TLS code). */
export type Probe = { readonly ok: true } | { readonly ok: false; readonly step: ProbeStep; readonly code: string };

/** The destination of a URL: its host (IPv6 without brackets) and port, by default 80 for http and 443 otherwise. */
export function destinationOf(url: string): Destination {
  const parsed = new URL(url);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || (parsed.protocol === "http:" ? 80 : 443)) };
}

/**
 * DNS, then a TCP connection, then (with `tls`) a TLS handshake that checks the certificate and the host name; the
 * first step that fails is returned. Nothing is sent beyond the handshake. The one reachability check of auditfeed:
 * doctor's firewall list, each remote sink's doctor check, and the explanation of an unreachable token endpoint.
 */
export async function probe(destination: Destination, options: { tls?: TlsProbe; signal?: AbortSignal } = {}): Promise<Probe> {
  const { host, port } = destination;
  const { signal } = options;
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await abortable(withTimeout(lookup(host), "DNS lookup"), signal)).address;
    } catch (error) {
      if (signal?.aborted) throw error;
      return { ok: false, step: "dns", code: codeOf(error) };
    }
  }
  try {
    (await open(() => tcpConnect({ host: address, port }), "connect", signal)).destroy();
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, step: "tcp", code: codeOf(error) };
  }
  if (options.tls === undefined) return { ok: true };
  try {
    const servername = isIP(host) === 0 ? { servername: host } : {};
    (await open(() => tlsConnect({ host: address, port, ...servername, ...options.tls }), "secureConnect", signal)).destroy();
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ok: false, step: "tls", code: codeOf(error) };
  }
  return { ok: true };
}

/**
 * Why `url`'s host cannot be reached from here (DNS, then a TCP connection), as a phrase naming the host; undefined
 * when it can. For failures that do not say so themselves: @azure/identity reports a token request to an unreachable
 * authority only as "endpoints_resolution_error", which reads like a credential problem.
 */
export async function unreachableReason(url: string, signal?: AbortSignal): Promise<string | undefined> {
  const destination = destinationOf(url);
  const found = await probe(destination, signal === undefined ? {} : { signal });
  if (found.ok) return undefined;
  return found.step === "dns"
    ? `DNS cannot resolve ${destination.host} (${found.code})`
    : `no TCP connection to ${destination.host}:${destination.port} (${found.code})`;
}

/**
 * A certificate the client does not trust (unknown CA, self-signed, wrong host name): the configured CA is missing or
 * wrong. Not an alert from the server, even one that names a certificate (UNSUPPORTED_CERTIFICATE refuses the client's).
 */
export function isUntrustedCertificate(code: string): boolean {
  return !isHandshakeRefused(code) && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code);
}

/** The server ended the handshake with an alert: it refused what the client offered (typically its client certificate). */
export function isHandshakeRefused(code: string): boolean {
  return /ALERT/.test(code);
}

/** Connects, and destroys the socket if it neither connects nor fails within the step timeout, or when `signal` aborts. */
function open(make: () => Socket, event: "connect" | "secureConnect", signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const socket = make();
    const abort = (): void => {
      socket.destroy(signal?.reason as Error);
    };
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`${event} timed out`), { code: "ETIMEDOUT" })), STEP_TIMEOUT_MS);
    const settle = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    };
    signal?.addEventListener("abort", abort, { once: true });
    socket.once(event, () => {
      settle();
      resolve(socket);
    });
    socket.once("error", (error) => {
      settle();
      socket.destroy();
      reject(error);
    });
  });
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out`), { code: "ETIMEDOUT" })), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
}
