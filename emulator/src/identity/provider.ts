import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CLOUDS } from "../../../collector/src/config/clouds.ts";
import { aadErrors, sendAadError } from "./aad-errors.ts";
import { verifyBearer } from "./bearer.ts";
import type { AuthenticationContext } from "./client-authentication.ts";
import { instanceDiscovery, jsonWebKeySet, openIdConfiguration } from "./discovery.ts";
import { sendJson } from "./http.ts";
import { createSigningKey } from "./jwt.ts";
import { handleManagedIdentityRequest } from "./managed-identity.ts";
import { handleTokenRequest } from "./token-endpoint.ts";
import { issueWorkloadToken, managedIdentityIssuer, WORKLOAD_ISSUER } from "./tokens.ts";
import type { IdentityOptions, IdentityProvider } from "./types.ts";

/** Entra's lifetime for app-only tokens as reported in expires_in. */
const DEFAULT_TOKEN_LIFETIME_SECONDS = 3599;
const SCOPE_SUFFIX = "/.default";

/** The path below baseUrl, split into segments; undefined when the request is outside baseUrl. */
function authorityPath(req: IncomingMessage, baseUrl: string): { segments: string[]; query: URLSearchParams } | undefined {
  const url = new URL(req.url ?? "/", baseUrl);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, "");
  if (!url.pathname.startsWith(`${basePath}/`)) return undefined;
  return { segments: url.pathname.slice(basePath.length + 1).split("/"), query: url.searchParams };
}

export function createIdentityProvider(options: IdentityOptions): IdentityProvider {
  const apps = options.apps;
  const consents = options.consents ?? [];
  const managedIdentities = options.managedIdentities ?? [];
  const lifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  const cloud = CLOUDS[options.cloud ?? "commercial"];
  // The Management API's resource in this cloud: the only audience tokens are issued for and accepted with.
  const audience = cloud.scope.slice(0, -SCOPE_SUFFIX.length);
  // One key signs what Entra signs (access tokens, managed identity tokens); the cluster's key signs workload tokens.
  const entraKey = createSigningKey();
  const workloadKey = createSigningKey();
  const managedIdentityHeader = randomBytes(24).toString("base64url");

  /** The registered spelling of a tenant ID, matched case-insensitively as Entra does. */
  function knownTenant(segment: string): string | undefined {
    const wanted = segment.toLowerCase();
    return [...apps, ...consents, ...managedIdentities, ...(options.tenantIds ?? []).map((tenantId) => ({ tenantId }))]
      .map((entry) => entry.tenantId)
      .find((tenantId) => tenantId.toLowerCase() === wanted);
  }

  function managedIdentityTenant(issuer: string): string | undefined {
    return managedIdentities.find((identity) => managedIdentityIssuer(identity.tenantId, cloud.authorityHost) === issuer)?.tenantId;
  }

  function federatedIssuerKey(issuer: string) {
    if (issuer === WORKLOAD_ISSUER) return workloadKey.publicKey;
    return managedIdentityTenant(issuer) === undefined ? undefined : entraKey.publicKey;
  }

  async function handleAuthority(req: IncomingMessage, res: ServerResponse, rawBaseUrl: string): Promise<boolean> {
    const baseUrl = rawBaseUrl.replace(/\/+$/, "");
    const path = authorityPath(req, baseUrl);
    if (path === undefined) return false;
    const [tenantSegment = "", ...rest] = path.segments;
    const route = rest.join("/");

    if (req.method === "GET" && tenantSegment === "common" && route === "discovery/instance") {
      sendJson(res, 200, instanceDiscovery(baseUrl, path.query.get("authorization_endpoint")));
      return true;
    }
    if (route !== "v2.0/.well-known/openid-configuration" && route !== "discovery/v2.0/keys" && route !== "oauth2/v2.0/token") return false;

    const tenantId = knownTenant(tenantSegment);
    if (tenantId === undefined) {
      sendAadError(res, aadErrors.tenantNotFound(tenantSegment));
      return true;
    }
    if (route === "oauth2/v2.0/token") {
      if (req.method !== "POST") {
        sendJson(res, 405, { error: "invalid_request", error_description: "AADSTS900561: The endpoint only accepts POST requests." });
        return true;
      }
      const context: AuthenticationContext = {
        tokenEndpoint: `${baseUrl}/${tenantId}/oauth2/v2.0/token`,
        tokenExchangeAudience: cloud.tokenExchangeAudience,
        federatedIssuerKey,
        managedIdentityTenant,
      };
      await handleTokenRequest(req, res, tenantId, { apps, consents, audience, key: entraKey, lifetimeSeconds }, context);
      return true;
    }
    if (req.method !== "GET") return false;
    sendJson(res, 200, route === "discovery/v2.0/keys" ? jsonWebKeySet(entraKey) : openIdConfiguration(baseUrl, tenantId));
    return true;
  }

  return {
    apps,
    consents,
    managedIdentityHeader,
    handleAuthority,
    handleManagedIdentity(req, res) {
      handleManagedIdentityRequest(req, res, {
        identities: managedIdentities,
        header: managedIdentityHeader,
        authorityHost: cloud.authorityHost,
        key: entraKey,
        lifetimeSeconds,
      });
      return Promise.resolve();
    },
    issueWorkloadIdentityToken(subject, exchangeAudience = cloud.tokenExchangeAudience) {
      return { token: issueWorkloadToken(subject, exchangeAudience, workloadKey, lifetimeSeconds), issuer: WORKLOAD_ISSUER };
    },
    verifyBearer(authorization) {
      return verifyBearer(authorization, audience, entraKey);
    },
  };
}
