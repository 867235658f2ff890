import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http.ts";
import type { SigningKey } from "./jwt.ts";
import { issueManagedIdentityToken } from "./tokens.ts";
import type { ManagedIdentity } from "./types.ts";

export const MANAGED_IDENTITY_API_VERSION = "2019-08-01";

export interface ManagedIdentitySettings {
  identities: ManagedIdentity[];
  /** The expected X-IDENTITY-HEADER value. */
  header: string;
  /** The cloud's login host, the issuer of the identity's tokens. */
  authorityHost: string;
  key: SigningKey;
  lifetimeSeconds: number;
}

/** App Service reports errors as { statusCode, message, correlationId }; MSAL surfaces `message`. */
function sendManagedIdentityError(res: ServerResponse, statusCode: 400 | 401 | 404 | 405, message: string): void {
  sendJson(res, statusCode, { statusCode, message, correlationId: randomUUID() });
}

function headerMatches(presented: string | string[] | undefined, expected: string): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The user-assigned identity the query names by client_id, or by principal_id / object_id. */
function selectIdentity(query: URLSearchParams, identities: ManagedIdentity[]): ManagedIdentity | string {
  const clientId = query.get("client_id");
  const principalId = query.get("principal_id") ?? query.get("object_id");
  if (query.has("mi_res_id")) return "Selecting a managed identity by resource ID (mi_res_id) is not supported by the emulator; pass client_id instead.";
  if (clientId === null && principalId === null) {
    return "The emulator has no system-assigned identity; pass the client_id of a user-assigned managed identity registered with the emulator.";
  }
  const found = identities.find((identity) =>
    clientId !== null ? identity.clientId.toLowerCase() === clientId.toLowerCase() : identity.principalId.toLowerCase() === principalId?.toLowerCase(),
  );
  return (
    found ??
    `No user-assigned managed identity with ${clientId !== null ? `client_id '${clientId}'` : `principal_id '${principalId ?? ""}'`} is assigned to this resource.`
  );
}

/** GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...&client_id=... with the X-IDENTITY-HEADER secret, as App Service and Container Apps serve it. */
export function handleManagedIdentityRequest(req: IncomingMessage, res: ServerResponse, settings: ManagedIdentitySettings): void {
  if (req.method !== "GET") return sendManagedIdentityError(res, 405, "The managed identity endpoint accepts GET requests only.");
  if (!headerMatches(req.headers["x-identity-header"], settings.header)) {
    return sendManagedIdentityError(res, 401, "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.");
  }
  const query = new URL(req.url ?? "/", "http://managed-identity").searchParams;
  const apiVersion = query.get("api-version");
  if (apiVersion !== MANAGED_IDENTITY_API_VERSION) {
    return sendManagedIdentityError(res, 400, `The api-version '${apiVersion ?? ""}' is not supported; use ${MANAGED_IDENTITY_API_VERSION}.`);
  }
  const resource = query.get("resource");
  if (resource === null || resource === "") return sendManagedIdentityError(res, 400, "The 'resource' query parameter is required.");
  const identity = selectIdentity(query, settings.identities);
  if (typeof identity === "string") return sendManagedIdentityError(res, 400, identity);

  const { token, exp } = issueManagedIdentityToken(identity, resource, settings.authorityHost, settings.key, settings.lifetimeSeconds);
  sendJson(res, 200, {
    access_token: token,
    // App Service sends expires_on as a string of epoch seconds.
    expires_on: String(exp),
    resource,
    token_type: "Bearer",
    client_id: identity.clientId,
  });
}
