import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudName } from "../../../collector/src/config/clouds.ts";

/** An Entra app registration in its home tenant `tenantId`, with its service principal there. */
export interface AppRegistration {
  tenantId: string;
  clientId: string;
  /**
   * Who may sign in: the home tenant only (`AzureADMyOrg`, the default), or also every tenant that holds a service
   * principal of the app (`AzureADMultipleOrgs`: a multi-tenant app, consented there; see `TenantConsent`).
   */
  signInAudience?: "AzureADMyOrg" | "AzureADMultipleOrgs";
  /** Accepted client secrets. */
  secrets: string[];
  /** Secrets past their end date: presenting one gets AADSTS7000222, as Entra answers for an expired secret. */
  expiredSecrets?: string[];
  /** True: the app is registered but has no service principal in the tenant (never consented there): AADSTS7000229. */
  servicePrincipalMissing?: boolean;
  /** Certificate credentials (public certificates, PEM); client assertions signed by their keys are accepted. */
  certificatePems: string[];
  /** Federated identity credentials: an assertion is accepted when its iss and sub equal one record's and its aud is among that record's audiences. */
  federatedCredentials: Array<{ issuer: string; subject: string; audiences: string[] }>;
  /** Granted (admin-consented) app roles in the home tenant, e.g. ["ActivityFeed.Read", "ActivityFeed.ReadDlp"]. */
  roles: string[];
}

/**
 * Admin consent of tenant `tenantId` to another tenant's multi-tenant app: the app's service principal in that tenant,
 * holding the app roles granted there. Removing it is what deleting the service principal (offboarding) does.
 */
export interface TenantConsent {
  tenantId: string;
  clientId: string;
  roles: string[];
}

/** A user-assigned managed identity reachable through the managed identity endpoint. */
export interface ManagedIdentity {
  clientId: string;
  /** Object ID of the identity's service principal: the `sub` of its tokens and the subject of a federated credential that trusts it. */
  principalId: string;
  tenantId: string;
}

export interface IdentityOptions {
  /**
   * The Microsoft cloud this Entra plays (default commercial): access tokens are issued only for its Management API
   * scope (e.g. https://manage.office365.us/.default in GCC High), managed identity tokens carry its login host as
   * issuer, and a federated assertion is accepted only for its token-exchange audience (api://AzureADTokenExchangeUSGov
   * in US Government), as the cloud's Entra does.
   */
  cloud?: CloudName;
  apps: AppRegistration[];
  /** Service principals of multi-tenant apps in tenants other than their home. */
  consents?: TenantConsent[];
  managedIdentities?: ManagedIdentity[];
  /** Directories that exist besides the home tenants of apps and identities (a tenant with no app of its own). */
  tenantIds?: string[];
  /** Lifetime of issued tokens in seconds; default 3599, as Entra reports for app-only tokens. */
  tokenLifetimeSeconds?: number;
}

/** The claims of a verified access token that the Management API emulator acts on. */
export interface VerifiedToken {
  tid: string;
  appid: string;
  aud: string;
  roles: string[];
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: "missing" | "malformed" | "bad-signature" | "expired" | "wrong-audience" };

export interface IdentityProvider {
  /** Live registry: tests mutate roles, secrets and credentials between calls and the next request sees the change. */
  readonly apps: AppRegistration[];
  /** Live registry of consents to multi-tenant apps: a test removes one to model the service principal's deletion. */
  readonly consents: TenantConsent[];
  /** Handles authority requests (token endpoint, OIDC discovery, instance discovery, signing keys). Resolves false if the path is not an authority path. */
  handleAuthority(req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<boolean>;
  /** Handles an App Service / Container Apps style managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER protocol, api-version 2019-08-01). */
  handleManagedIdentity(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The secret value expected in the X-IDENTITY-HEADER request header (the IDENTITY_HEADER environment variable). */
  readonly managedIdentityHeader: string;
  /**
   * Issues a projected service-account style token for workload identity: the caller writes `token` to the file named by
   * AZURE_FEDERATED_TOKEN_FILE and registers `issuer` + `subject` as a federated credential. Audience defaults to the cloud's token-exchange audience.
   */
  issueWorkloadIdentityToken(subject: string, audience?: string): { token: string; issuer: string };
  /** Validates `Authorization: Bearer <jwt>` for the Management API. Expiry is checked against the wall clock (Date.now()), never a virtual clock. */
  verifyBearer(authorization: string | undefined): TokenCheck;
}
