import { aadErrors } from "./aad-errors.ts";
import type { AadError } from "./aad-errors.ts";
import type { AppRegistration, TenantConsent } from "./types.ts";

/** Who a token is issued to: the app's service principal in the requested tenant, with the roles granted there. */
export interface Grantee {
  tenantId: string;
  clientId: string;
  roles: string[];
}

export type PrincipalLookup = { ok: true; app: AppRegistration; grantee: Grantee } | { ok: false; failure: AadError };

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The app a client_credentials request in `tenantId` names, as Entra resolves it: the app registered in that tenant
 * (unless it has no service principal there); or a multi-tenant app of another tenant, through its service principal
 * here (consent). The credentials that prove
 * the client are always the app registration's, in its home tenant; the roles are those granted in `tenantId`.
 */
export function resolvePrincipal(apps: readonly AppRegistration[], consents: readonly TenantConsent[], tenantId: string, clientId: string): PrincipalLookup {
  const home = apps.find((app) => same(app.tenantId, tenantId) && same(app.clientId, clientId));
  if (home !== undefined) {
    if (home.servicePrincipalMissing === true) return { ok: false, failure: aadErrors.servicePrincipalMissing(home.clientId, tenantId) };
    return { ok: true, app: home, grantee: { tenantId: home.tenantId, clientId: home.clientId, roles: home.roles } };
  }
  const app = apps.find((candidate) => same(candidate.clientId, clientId) && candidate.signInAudience === "AzureADMultipleOrgs");
  // A single-tenant app is invisible outside its home tenant, exactly like an unknown client id.
  if (app === undefined) return { ok: false, failure: aadErrors.applicationNotFound(clientId, tenantId) };
  const consent = consents.find((entry) => same(entry.tenantId, tenantId) && same(entry.clientId, clientId));
  if (consent === undefined) return { ok: false, failure: aadErrors.servicePrincipalMissing(app.clientId, tenantId) };
  return { ok: true, app, grantee: { tenantId, clientId: app.clientId, roles: consent.roles } };
}
