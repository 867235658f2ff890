import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import type { ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import type { ContentType } from "../../collector/src/source/content.ts";
import { createManagementHandler } from "./api/management.ts";
import type { RequestRecord } from "./api/management.ts";
import { FaultScript } from "./api/scripted-faults.ts";
import type { ScriptedFault } from "./api/scripted-faults.ts";
import { createVirtualClock } from "./clock.ts";
import type { VirtualClock } from "./clock.ts";
import { createIdentityProvider } from "./identity/index.ts";
import type { IdentityProvider } from "./identity/index.ts";
import { checkConsents, demoTenant, resolveTenant } from "./options.ts";
import type { EmulatorOptions } from "./options.ts";
import type { SubscriptionStatus } from "./subscriptions.ts";
import { TenantState } from "./tenant.ts";
import type { GroundTruth, GroundTruthQuery } from "./tenant.ts";
import { createCertificateAuthority } from "./tls.ts";

export type { AppRegistration, IdentityProvider, ManagedIdentity } from "./identity/index.ts";
export type { ConsentOptions, EmulatorOptions, FaultOptions, MalformedKind, TenantOptions } from "./options.ts";
export { DEFAULT_EVENTS_PER_HOUR, DEMO_APP, DEMO_TENANT, demoTenant, MALFORMED_KINDS } from "./options.ts";
export type { RequestRecord } from "./api/management.ts";
export type { Operation, ScriptedFault, ScriptedReply } from "./api/scripted-faults.ts";
export type { VirtualClock } from "./clock.ts";
export type { GroundTruth, GroundTruthQuery } from "./tenant.ts";
export { digestRecordIds } from "./tenant.ts";

export interface TenantHandle {
  /**
   * Exactly which records a correct collector can obtain now: unique ids in blobs listable now through enabled
   * subscriptions, with contentCreated in [from, to), minus blobs already expired and blobs behind a poisoned uri.
   */
  groundTruth(query: GroundTruthQuery): GroundTruth;
  subscriptions(): Record<ContentType, SubscriptionStatus>;
}

export interface Emulator {
  /** https origin; API root `${managementUrl}/api/v1.0/{tenantId}/activity/feed`. */
  readonly managementUrl: string;
  /** https origin for @azure/identity `authorityHost`. */
  readonly authorityUrl: string;
  /** http origin for IDENTITY_ENDPOINT. */
  readonly managedIdentityUrl: string;
  readonly identity: IdentityProvider;
  /** CA that signed both https servers' certificates. */
  readonly caPem: string;
  /** The same CA written to a temporary file (removed on close). */
  readonly caFile: string;
  readonly clock: VirtualClock;
  /** One-shot scripted responses, matched in order, e.g. {op:"fetch", times:2, reply:"AF50000"}. */
  script(rule: ScriptedFault): void;
  tenant(tenantId: string): TenantHandle;
  /** Every request received, in arrival order (empty when `recordRequests` is false). */
  readonly requests: readonly RequestRecord[];
  close(): Promise<void>;
}

async function listen(server: http.Server, host: string, port: number | undefined): Promise<number> {
  server.listen(port ?? 0, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

function origin(scheme: "http" | "https", host: string, port: number): string {
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Starts the emulator: the Management Activity API, the Entra authority and a managed identity endpoint. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = options.seed ?? 1;
  const host = options.host ?? "127.0.0.1";
  const pageSize = options.pageSize ?? 100;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`emulator option \`pageSize\` must be a positive integer; got ${pageSize}.`);
  const clock = createVirtualClock(options.now ?? new Date(), options.freezeClock ?? false);
  const startMs = clock.nowMs();
  const tenantOptions = (options.tenants ?? [demoTenant()]).map(resolveTenant);
  const tenants = new Map(tenantOptions.map((tenant) => [tenant.tenantId, new TenantState(tenant, seed, startMs)]));
  if (tenants.size !== tenantOptions.length) throw new RangeError("emulator option `tenants` lists the same tenantId twice; give each tenant once.");
  checkConsents(tenantOptions);

  const identity = createIdentityProvider({
    cloud: options.cloud ?? "commercial",
    apps: tenantOptions.flatMap((tenant) => tenant.apps),
    consents: tenantOptions.flatMap((tenant) =>
      tenant.consents.map((consent) => ({ tenantId: tenant.tenantId, clientId: consent.clientId, roles: [...consent.roles] })),
    ),
    managedIdentities: options.managedIdentities ?? [],
    // Every emulated tenant exists in the directory, whether or not it registers an app of its own.
    tenantIds: tenantOptions.map((tenant) => tenant.tenantId),
  });
  const ca = createCertificateAuthority();
  const certificate = ca.issueServerCertificate([...new Set([host, "127.0.0.1", "localhost"])]);
  const script = new FaultScript();
  const requests: RequestRecord[] = [];
  const held = new Set<ServerResponse>();
  let managementUrl = "";
  let authorityUrl = "";

  const management = https.createServer(
    { cert: certificate.certPem, key: certificate.keyPem },
    createManagementHandler({
      origin: () => managementUrl,
      nowMs: () => clock.nowMs(),
      identity,
      tenants,
      script,
      pageSize,
      requests: options.recordRequests === false ? undefined : requests,
      held,
    }),
  );
  const authority = https.createServer({ cert: certificate.certPem, key: certificate.keyPem }, (req, res) => {
    identity
      .handleAuthority(req, res, authorityUrl)
      .then((handled) => {
        if (!handled) res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "not_found" }));
      })
      .catch(() => res.destroy());
  });
  const managedIdentity = http.createServer((req, res) => {
    identity.handleManagedIdentity(req, res).catch(() => res.destroy());
  });
  const servers = [management, authority, managedIdentity];

  managementUrl = origin("https", host, await listen(management, host, options.managementPort));
  authorityUrl = origin("https", host, await listen(authority, host, options.authorityPort));
  const managedIdentityUrl = origin("http", host, await listen(managedIdentity, host, options.managedIdentityPort));
  const directory = await mkdtemp(join(tmpdir(), "auditfeed-emulator-"));
  const caFile = join(directory, "ca.pem");
  await writeFile(caFile, ca.caPem);

  let closed = false;
  return {
    managementUrl,
    authorityUrl,
    managedIdentityUrl,
    identity,
    caPem: ca.caPem,
    caFile,
    clock,
    requests,
    script: (rule) => script.add(rule),
    tenant(tenantId) {
      const state = tenants.get(tenantId.toLowerCase());
      if (state === undefined) throw new RangeError(`emulator.tenant: no tenant ${tenantId} is configured; configured: ${[...tenants.keys()].join(", ")}.`);
      return {
        groundTruth: (query) => state.groundTruth(query, clock.nowMs()),
        subscriptions: () => state.subscriptions.all(),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const res of held) res.destroy();
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
      await rm(directory, { recursive: true, force: true });
    },
  };
}
