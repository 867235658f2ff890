import { publicJwk } from "./jwt.ts";
import type { SigningKey } from "./jwt.ts";

/** The v2.0 OpenID configuration MSAL reads to find the token endpoint; every endpoint points back at this emulator. */
export function openIdConfiguration(baseUrl: string, tenantId: string): Record<string, unknown> {
  const tenantBase = `${baseUrl}/${tenantId}`;
  return {
    token_endpoint: `${tenantBase}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${tenantBase}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${tenantBase}/v2.0`,
    request_uri_parameter_supported: false,
    authorization_endpoint: `${tenantBase}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${tenantBase}/oauth2/v2.0/devicecode`,
    end_session_endpoint: `${tenantBase}/oauth2/v2.0/logout`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
  };
}

/**
 * The answer to GET /common/discovery/instance: the emulator is a cloud of its own whose only alias is its host.
 * MSAL asks the real login.microsoftonline.com for this unless instance discovery is disabled, so it is served for clients that ask here.
 */
export function instanceDiscovery(baseUrl: string, authorizationEndpoint: string | null): Record<string, unknown> {
  const host = new URL(baseUrl).host;
  const tenant = tenantOfAuthorizationEndpoint(baseUrl, authorizationEndpoint) ?? "common";
  return {
    tenant_discovery_endpoint: `${baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

/** MSAL sends `authorization_endpoint=<authority>/oauth2/v2.0/authorize`, the authority being `<baseUrl>/<tenant>`. */
function tenantOfAuthorizationEndpoint(baseUrl: string, authorizationEndpoint: string | null): string | undefined {
  if (authorizationEndpoint === null || !authorizationEndpoint.startsWith(`${baseUrl}/`)) return undefined;
  const [tenant] = authorizationEndpoint.slice(baseUrl.length + 1).split("/");
  return tenant === "" ? undefined : tenant;
}

export function jsonWebKeySet(key: SigningKey): Record<string, unknown> {
  return { keys: [publicJwk(key)] };
}
