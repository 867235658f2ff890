import type { CloudName } from "../../collector/src/config/clouds.ts";
import type { ContentType } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import type { AppRegistration, ManagedIdentity } from "./identity/index.ts";

/** How the emulator misbehaves, on purpose, the way the real service does. Fractions are of blobs or requests. */
export interface FaultOptions {
  /** New subscriptions only see blobs from subscription start + this delay (the real service: up to 12 h). Default 0. */
  firstDataDelayMinutes?: number;
  /** Fraction of blobs that become listable late, after blobs with a later contentCreated were listable. Default 0. */
  lateBlobRate?: number;
  /** How late those blobs become listable, in virtual minutes. Default 90. */
  lateBlobDelayMinutes?: number;
  /** Fraction of records that also appear in the next blob of the same content type. Default 0. */
  duplicateRecordRate?: number;
  /** Records unsorted within blobs and older events in later blobs, as the real API does. Default true. */
  outOfOrder?: boolean;
  /** Fraction of blobs whose contentExpiration is already past when they are listed (fetch answers AF20051). Default 0. */
  expiredBlobRate?: number;
  /** Fraction of requests answered 500 AF50000, chosen deterministically from the seed and the request count. Default 0. */
  transientErrorRate?: number;
  /** Fraction of requests answered AF429: half 403 without Retry-After, half 429 with it. Default 0. */
  throttleRate?: number;
  /** Latency added to every response, in milliseconds. Default 0. */
  slowResponseMs?: number;
  /** When set, the contentUri of one blob in ten points at this origin instead of the emulator (a token must never go there). */
  poisonContentUri?: string;
  /** Fraction of blobs whose body is malformed, every time they are fetched, in one of `malformedBlobKinds`. Default 0. */
  malformedBlobRate?: number;
  /** How those blobs are malformed, chosen per blob from the seed. Default all of MALFORMED_KINDS. */
  malformedBlobKinds?: MalformedKind[];
}

/**
 * The ways a blob body can be broken; the records before the break are intact:
 * - `truncated`: ends cleanly two thirds in, inside a record, without the closing `]`;
 * - `not-array`: the records wrapped in an object, `{"value":[...]}`;
 * - `invalid-utf8`: the middle record carries the bytes C3 28, which are not UTF-8;
 * - `missing-id`: valid JSON, but the middle record has no `Id` (the only kind a collector can deliver).
 */
export const MALFORMED_KINDS = ["truncated", "not-array", "invalid-utf8", "missing-id"] as const;
export type MalformedKind = (typeof MALFORMED_KINDS)[number];

/** This tenant's admin consent to another tenant's multi-tenant app (its service principal here), with the roles granted. */
export interface ConsentOptions {
  clientId: string;
  roles: string[];
}

export interface TenantOptions {
  tenantId: string;
  /** Apps registered in this tenant (their home). */
  apps: AppRegistration[];
  /** Multi-tenant apps of other tenants consented to here. Default none. */
  consents?: ConsentOptions[];
  /** Records generated per virtual hour, per content type; types left out generate nothing. */
  eventsPerHour?: Partial<Record<ContentType, number>>;
  /** Target records per blob; the actual count varies by ±50%. Default 20. Blob spacing follows from the rate. */
  recordsPerBlob?: number;
  /** Hours of content that exist before the virtual start; only the last 7 days are listable. Default 48. */
  historyHours?: number;
  /** Subscriptions already enabled at start. Default none: the collector must start them. */
  subscribed?: ContentType[];
  /** False makes subscriptions/start answer the odd 400 "Tenant ... does not exist" body. Default true. */
  auditLoggingEnabled?: boolean;
  /** Requests per wall-clock minute before AF429. Default 2000 (the documented baseline). */
  requestsPerMinute?: number;
  faults?: FaultOptions;
}

export interface EmulatorOptions {
  /** Same seed => same records, ids and blobs. Default 1. */
  seed?: number;
  /**
   * The Microsoft cloud played (default commercial): tokens only for its Management API scope, its login host as
   * the managed identity issuer, federated assertions only for its token-exchange audience.
   */
  cloud?: CloudName;
  /** Virtual clock start. Default: the wall clock. */
  now?: Date;
  /** Virtual time stands still except through clock.advance/set (exact instants for tests). Default false: it runs at wall-clock speed. */
  freezeClock?: boolean;
  /** Default: one tenant (DEMO_TENANT) with one app (DEMO_APP) holding ActivityFeed.Read and ActivityFeed.ReadDlp. */
  tenants?: TenantOptions[];
  /** User-assigned managed identities the managed identity endpoint serves (a federated credential can trust them). Default none. */
  managedIdentities?: ManagedIdentity[];
  /** Keep every request in `Emulator.requests`. Default true; the standalone command turns it off so memory stays flat for days. */
  recordRequests?: boolean;
  /** Content listing page size. Default 100. */
  pageSize?: number;
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Ports; ephemeral unless given. */
  managementPort?: number;
  authorityPort?: number;
  managedIdentityPort?: number;
}

/** Fault settings with every default applied. */
export type ResolvedFaults = Required<Omit<FaultOptions, "poisonContentUri">> & { poisonContentUri: string | undefined };

export interface ResolvedTenant {
  tenantId: string;
  apps: AppRegistration[];
  consents: ConsentOptions[];
  eventsPerHour: Record<ContentType, number>;
  recordsPerBlob: number;
  historyHours: number;
  subscribed: ContentType[];
  auditLoggingEnabled: boolean;
  requestsPerMinute: number;
  faults: ResolvedFaults;
}

export const DEMO_TENANT = "c0ffee00-1111-4a2b-8c3d-123456789abc";
export const DEMO_APP = { clientId: "5eed0000-aaaa-4bbb-8ccc-0000000000a1", secret: "demo-secret-not-for-production" } as const;

/** A modest, realistic mix: tens of thousands of records over the default 48 h of history. */
export const DEFAULT_EVENTS_PER_HOUR: Readonly<Record<ContentType, number>> = {
  "Audit.AzureActiveDirectory": 120,
  "Audit.Exchange": 240,
  "Audit.SharePoint": 180,
  "Audit.General": 60,
  "DLP.All": 12,
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function demoTenant(): TenantOptions {
  return {
    tenantId: DEMO_TENANT,
    apps: [
      {
        tenantId: DEMO_TENANT,
        clientId: DEMO_APP.clientId,
        secrets: [DEMO_APP.secret],
        certificatePems: [],
        federatedCredentials: [],
        roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
      },
    ],
  };
}

function fractionOption(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!(resolved >= 0 && resolved <= 1)) throw new RangeError(`emulator option \`${name}\` must be a fraction between 0 and 1; got ${resolved}.`);
  return resolved;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!(resolved >= 0 && Number.isFinite(resolved))) throw new RangeError(`emulator option \`${name}\` must be a non-negative number; got ${resolved}.`);
  return resolved;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0 && Number.isFinite(resolved))) throw new RangeError(`emulator option \`${name}\` must be a positive number; got ${resolved}.`);
  return resolved;
}

function malformedKinds(kinds: MalformedKind[] | undefined): MalformedKind[] {
  if (kinds === undefined) return [...MALFORMED_KINDS];
  const unknown = kinds.filter((kind) => !(MALFORMED_KINDS as readonly string[]).includes(kind));
  if (kinds.length === 0 || unknown.length > 0) {
    throw new RangeError(`emulator option \`faults.malformedBlobKinds\` must list some of ${MALFORMED_KINDS.join(", ")}; got ${JSON.stringify(kinds)}.`);
  }
  return kinds;
}

export function resolveTenant(options: TenantOptions): ResolvedTenant {
  if (!GUID.test(options.tenantId)) throw new RangeError(`emulator option \`tenants[].tenantId\` must be a GUID; got "${options.tenantId}".`);
  const faults = options.faults ?? {};
  const eventsPerHour = Object.fromEntries(
    CONTENT_TYPES.map((type) => [type, nonNegative(`eventsPerHour.${type}`, (options.eventsPerHour ?? DEFAULT_EVENTS_PER_HOUR)[type], 0)]),
  ) as Record<ContentType, number>;
  const historyHours = nonNegative("historyHours", options.historyHours, 48);
  return {
    tenantId: options.tenantId.toLowerCase(),
    apps: options.apps,
    consents: options.consents ?? [],
    eventsPerHour,
    recordsPerBlob: Math.round(positive("recordsPerBlob", options.recordsPerBlob, 20)),
    historyHours,
    subscribed: options.subscribed ?? [],
    auditLoggingEnabled: options.auditLoggingEnabled ?? true,
    requestsPerMinute: positive("requestsPerMinute", options.requestsPerMinute, 2000),
    faults: {
      firstDataDelayMinutes: nonNegative("faults.firstDataDelayMinutes", faults.firstDataDelayMinutes, 0),
      lateBlobRate: fractionOption("faults.lateBlobRate", faults.lateBlobRate, 0),
      lateBlobDelayMinutes: nonNegative("faults.lateBlobDelayMinutes", faults.lateBlobDelayMinutes, 90),
      duplicateRecordRate: fractionOption("faults.duplicateRecordRate", faults.duplicateRecordRate, 0),
      outOfOrder: faults.outOfOrder ?? true,
      expiredBlobRate: fractionOption("faults.expiredBlobRate", faults.expiredBlobRate, 0),
      transientErrorRate: fractionOption("faults.transientErrorRate", faults.transientErrorRate, 0),
      throttleRate: fractionOption("faults.throttleRate", faults.throttleRate, 0),
      slowResponseMs: nonNegative("faults.slowResponseMs", faults.slowResponseMs, 0),
      poisonContentUri: faults.poisonContentUri?.replace(/\/+$/, ""),
      malformedBlobRate: fractionOption("faults.malformedBlobRate", faults.malformedBlobRate, 0),
      malformedBlobKinds: malformedKinds(faults.malformedBlobKinds),
    },
  };
}

/** Refuses a consent that Entra could not hold: the app must be a multi-tenant app registered in another tenant. */
export function checkConsents(tenants: readonly ResolvedTenant[]): void {
  const apps = tenants.flatMap((tenant) => tenant.apps);
  for (const tenant of tenants) {
    for (const consent of tenant.consents) {
      const app = apps.find((candidate) => candidate.clientId.toLowerCase() === consent.clientId.toLowerCase());
      if (app === undefined || app.signInAudience !== "AzureADMultipleOrgs" || app.tenantId.toLowerCase() === tenant.tenantId) {
        throw new RangeError(
          `emulator option \`tenants[].consents\` of tenant ${tenant.tenantId} names ${consent.clientId}, which is not a multi-tenant app (signInAudience AzureADMultipleOrgs) registered in another tenant; register it there first.`,
        );
      }
    }
  }
}
