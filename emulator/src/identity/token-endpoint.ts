import type { IncomingMessage, ServerResponse } from "node:http";
import { aadErrors, sendAadError } from "./aad-errors.ts";
import { sameResource } from "./bearer.ts";
import { authenticateClient } from "./client-authentication.ts";
import type { AuthenticationContext } from "./client-authentication.ts";
import { readForm, sendJson } from "./http.ts";
import { resolvePrincipal } from "./principals.ts";
import type { SigningKey } from "./jwt.ts";
import { issueAccessToken } from "./tokens.ts";
import type { AppRegistration, TenantConsent } from "./types.ts";

export interface TokenEndpointSettings {
  apps: AppRegistration[];
  consents: TenantConsent[];
  audience: string;
  key: SigningKey;
  lifetimeSeconds: number;
}

const DEFAULT_SCOPE_SUFFIX = "/.default";

/** The requested resource, or the failure Entra reports for a client_credentials scope. */
function requestedResource(scope: string, tenant: string, audience: string): { resource: string } | { failure: ReturnType<typeof aadErrors.invalidScope> } {
  const scopes = scope.split(" ").filter((entry) => entry !== "");
  const [only] = scopes;
  if (scopes.length !== 1 || only === undefined || !only.endsWith(DEFAULT_SCOPE_SUFFIX)) return { failure: aadErrors.invalidScope(scope) };
  const resource = only.slice(0, -DEFAULT_SCOPE_SUFFIX.length);
  return sameResource(resource, audience) ? { resource } : { failure: aadErrors.resourceNotFound(resource, tenant) };
}

/** POST /{tenant}/oauth2/v2.0/token with grant_type=client_credentials. `tenantId` is the registered tenant the path named. */
export async function handleTokenRequest(
  req: IncomingMessage,
  res: ServerResponse,
  tenantId: string,
  settings: TokenEndpointSettings,
  context: AuthenticationContext,
): Promise<void> {
  const form = await readForm(req);
  if (form === undefined) return sendAadError(res, aadErrors.malformedRequest());
  // MSAL sends its correlation ID as a query parameter; Entra echoes it in errors.
  const correlationId = new URL(req.url ?? "/", "http://authority").searchParams.get("client-request-id") ?? undefined;

  const grantType = form.get("grant_type");
  if (grantType === null) return sendAadError(res, aadErrors.missingParameter("grant_type"), correlationId);
  if (grantType !== "client_credentials") return sendAadError(res, aadErrors.unsupportedGrantType(grantType), correlationId);
  const clientId = form.get("client_id");
  if (clientId === null) return sendAadError(res, aadErrors.missingParameter("client_id"), correlationId);
  const principal = resolvePrincipal(settings.apps, settings.consents, tenantId, clientId);
  if (!principal.ok) return sendAadError(res, principal.failure, correlationId);

  const authentication = authenticateClient(form, principal.app, context);
  if (!authentication.ok) return sendAadError(res, authentication.failure, correlationId);

  const scope = form.get("scope");
  if (scope === null) return sendAadError(res, aadErrors.missingParameter("scope"), correlationId);
  const resource = requestedResource(scope, tenantId, settings.audience);
  if ("failure" in resource) return sendAadError(res, resource.failure, correlationId);

  sendJson(res, 200, {
    token_type: "Bearer",
    expires_in: settings.lifetimeSeconds,
    ext_expires_in: settings.lifetimeSeconds,
    access_token: issueAccessToken(principal.grantee, settings.audience, authentication.appidacr, settings.key, settings.lifetimeSeconds),
  });
}
