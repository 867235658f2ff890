import { lookup } from "node:dns/promises";
import { isIP, connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { CLOUDS } from "../../../collector/src/config/clouds.ts";
import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { fail, pass, type CheckResult } from "./report.ts";

/** A host the collector must reach over HTTPS, and why (what operators open in their firewall). */
export interface Endpoint {
  readonly role: string;
  readonly host: string;
  readonly port: number;
}

const STEP_TIMEOUT_MS = 5_000;

/**
 * The firewall list of the configuration: the cloud's login, Management API and Graph hosts, or the overrides when
 * they are set (the emulator). Graph is listed because infra/ uses it to onboard the tenant; the collector itself
 * only talks to login and the Management API, so with overrides only those two (and a managed identity endpoint) count.
 */
export function endpointsOf(config: CollectorConfig): Endpoint[] {
  const cloud = CLOUDS[config.cloud];
  const { managementUrl, authorityUrl, managedIdentityUrl } = config.endpoints;
  const from = (role: string, url: string | undefined, host: string): Endpoint => {
    if (url === undefined) return { role, host, port: 443 };
    const parsed = new URL(url);
    return { role, host: parsed.hostname.replace(/^\[|\]$/g, ""), port: Number(parsed.port || (parsed.protocol === "http:" ? 80 : 443)) };
  };
  const list = [from("login", authorityUrl, cloud.authorityHost), from("management", managementUrl, cloud.managementHost)];
  if (managementUrl === undefined && authorityUrl === undefined) list.push({ role: "graph", host: cloud.graphHost, port: 443 });
  if (config.credential.kind === "federated" && managedIdentityUrl !== undefined) list.push(from("managed-identity", managedIdentityUrl, ""));
  return list;
}

/** DNS, then TCP, then TLS (certificate and host name checked against the trusted CAs); the first step that fails is reported. */
export async function probeEndpoint(endpoint: Endpoint, plainHttp = false): Promise<CheckResult> {
  const name = `reach ${endpoint.role}`;
  const where = `${endpoint.host}:${endpoint.port}`;
  let address = endpoint.host;
  if (isIP(endpoint.host) === 0) {
    try {
      address = (await withTimeout(lookup(endpoint.host), "DNS lookup")).address;
    } catch (error) {
      return fail(
        name,
        `DNS cannot resolve ${endpoint.host} (${codeOf(error)}).`,
        `Let this host resolve ${endpoint.host}: check its DNS servers, or the proxy/firewall DNS policy; it is on the list of hosts auditfeed needs.`,
      );
    }
  }
  let socket: Socket;
  try {
    socket = await open(() => tcpConnect({ host: address, port: endpoint.port }), "connect");
  } catch (error) {
    return fail(
      name,
      `No TCP connection to ${where} (${codeOf(error)}).`,
      `Open outbound TCP ${endpoint.port} to ${endpoint.host} in the firewall (network security group, proxy allow-list).`,
    );
  }
  socket.destroy();
  if (plainHttp) return pass(name, `${where} resolves and accepts connections.`);
  try {
    const servername = isIP(endpoint.host) === 0 ? endpoint.host : undefined;
    const secure = await open(() => tlsConnect({ host: address, port: endpoint.port, ...(servername ? { servername } : {}) }), "secureConnect");
    secure.destroy();
  } catch (error) {
    return fail(
      name,
      `The TLS handshake with ${where} failed (${codeOf(error)}).`,
      `A proxy that inspects TLS, or a private CA (the emulator), needs its CA certificate given with caFile (--ca-file, AUDITFEED_CA_FILE); otherwise let ${endpoint.host} through without TLS inspection.`,
    );
  }
  return pass(name, `${where}: DNS, TCP and TLS are fine.`);
}

/** Connects, and destroys the socket if it neither connects nor fails within the step timeout. */
function open(make: () => Socket, event: "connect" | "secureConnect"): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const socket = make();
    const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`${event} timed out`), { code: "ETIMEDOUT" })), STEP_TIMEOUT_MS);
    socket.once(event, () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
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
