import { CLOUDS } from "../../../collector/src/config/clouds.ts";
import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { destinationOf, probe } from "../../../collector/src/net/reachability.ts";
import { fail, pass, type CheckResult } from "./report.ts";

/** A host the collector must reach over HTTPS, and why (what operators open in their firewall). */
export interface Endpoint {
  readonly role: string;
  readonly host: string;
  readonly port: number;
}

/**
 * The firewall list of the configuration: the cloud's login, Management API and Graph hosts, or the overrides when
 * they are set (the emulator). Graph is listed because infra/ uses it to onboard the tenant; the collector itself
 * only talks to login and the Management API, so with overrides only those two (and a managed identity endpoint) count.
 */
export function endpointsOf(config: CollectorConfig): Endpoint[] {
  const cloud = CLOUDS[config.cloud];
  const { managementUrl, authorityUrl, managedIdentityUrl } = config.endpoints;
  const from = (role: string, url: string | undefined, host: string): Endpoint =>
    url === undefined ? { role, host, port: 443 } : { role, ...destinationOf(url) };
  const list = [from("login", authorityUrl, cloud.authorityHost), from("management", managementUrl, cloud.managementHost)];
  if (managementUrl === undefined && authorityUrl === undefined) list.push({ role: "graph", host: cloud.graphHost, port: 443 });
  if (config.credential.kind === "federated" && managedIdentityUrl !== undefined) list.push(from("managed-identity", managedIdentityUrl, ""));
  return list;
}

/** DNS, then TCP, then TLS (certificate and host name checked against the trusted CAs); the first step that fails is reported. */
export async function probeEndpoint(endpoint: Endpoint, plainHttp = false): Promise<CheckResult> {
  const name = `reach ${endpoint.role}`;
  const where = `${endpoint.host}:${endpoint.port}`;
  const found = await probe(endpoint, plainHttp ? {} : { tls: {} });
  if (found.ok) return pass(name, plainHttp ? `${where} resolves and accepts connections.` : `${where}: DNS, TCP and TLS are fine.`);
  switch (found.step) {
    case "dns":
      return fail(
        name,
        `DNS cannot resolve ${endpoint.host} (${found.code}).`,
        `Let this host resolve ${endpoint.host}: check its DNS servers, or the proxy/firewall DNS policy; it is on the list of hosts auditfeed needs.`,
      );
    case "tcp":
      return fail(
        name,
        `No TCP connection to ${where} (${found.code}).`,
        `Open outbound TCP ${endpoint.port} to ${endpoint.host} in the firewall (network security group, proxy allow-list).`,
      );
    case "tls":
      return fail(
        name,
        `The TLS handshake with ${where} failed (${found.code}).`,
        `A proxy that inspects TLS, or a private CA (the emulator), needs its CA certificate given with caFile (--ca-file, AUDITFEED_CA_FILE); otherwise let ${endpoint.host} through without TLS inspection.`,
      );
  }
}
