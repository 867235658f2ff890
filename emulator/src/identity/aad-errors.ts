import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { sendJson } from "./http.ts";

/** An OAuth error as Entra reports it: HTTP status, OAuth `error`, AADSTS number and the text after "AADSTSnnn: ". */
export interface AadError {
  status: 400 | 401;
  error: string;
  code: number;
  message: string;
}

function aad(status: 400 | 401, error: string, code: number, message: string): AadError {
  return { status, error, code, message };
}

// Wording follows Entra's messages so that collector error handling and operator docs match production.
export const aadErrors = {
  tenantNotFound: (tenant: string) =>
    aad(
      400,
      "invalid_tenant",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  unsupportedGrantType: (grantType: string) =>
    aad(
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType}'. Only 'client_credentials' is supported by this authority.`,
    ),
  malformedRequest: () => aad(400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid."),
  missingParameter: (name: string) => aad(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`),
  invalidScope: (scope: string) =>
    aad(
      400,
      "invalid_scope",
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    ),
  resourceNotFound: (resource: string, tenant: string) =>
    aad(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  applicationNotFound: (clientId: string, tenant: string) =>
    aad(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  expiredSecret: (clientId: string) =>
    aad(
      401,
      "invalid_client",
      7000222,
      `The provided client secret keys for app '${clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    ),
  // No service principal of the app in the tenant: a home app registered without one, a multi-tenant app never consented
  // there, or one whose service principal was deleted (offboarding). Entra answers 401, as public error reports show.
  servicePrincipalMissing: (clientId: string, tenant: string) =>
    aad(
      401,
      "invalid_client",
      7000229,
      `The client application ${clientId} is missing service principal in the tenant ${tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
    ),
  missingCredential: () =>
    aad(400, "invalid_client", 7000216, "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."),
  invalidSecret: (clientId: string) =>
    aad(
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    ),
  unsupportedAssertionType: (assertionType: string) =>
    aad(
      400,
      "invalid_request",
      7000218,
      `The request body must contain the following parameter: 'client_assertion' with client_assertion_type 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'; received client_assertion_type '${assertionType}'.`,
    ),
  malformedAssertion: () => aad(400, "invalid_client", 50027, "JWT token is invalid or malformed."),
  assertionTimeRange: () => aad(400, "invalid_client", 700024, "Client assertion is not within its valid time range."),
  assertionAudience: (audience: string, tokenEndpoint: string) =>
    aad(401, "invalid_client", 700212, `The audience '${audience}' of the client assertion is not valid for this token endpoint. Expected '${tokenEndpoint}'.`),
  assertionSubject: () => aad(401, "invalid_client", 700023, "The 'iss' and 'sub' claims of the client assertion must both equal the client_id."),
  certificateNotRegistered: (thumbprint: string, clientId: string) =>
    aad(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
    ),
  certificateExpired: (thumbprint: string) =>
    aad(
      401,
      "invalid_client",
      700027,
      `Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '${thumbprint}']`,
    ),
  assertionSignature: () => aad(401, "invalid_client", 700027, "Client assertion failed signature validation."),
  federatedIssuerNotFound: (issuer: string) =>
    aad(
      400,
      "invalid_request",
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    ),
  federatedSubjectNotFound: (subject: string) =>
    aad(
      400,
      "invalid_request",
      700213,
      `No matching federated identity record found for presented assertion subject '${subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    ),
  federatedAudienceNotFound: (issuer: string, subject: string, audience: string) =>
    aad(
      400,
      "invalid_request",
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audience}'.`,
    ),
  // Entra refuses its own tokens (a managed identity's) as the assertion of an app registered in another tenant.
  crossTenantEntraAssertion: (issuer: string) =>
    aad(
      400,
      "invalid_request",
      700236,
      `Entra ID tokens issued by issuer '${issuer}' may not be used for federated identity credential flows for applications or managed identities registered in this tenant.`,
    ),
  federatedSignature: () => aad(400, "invalid_request", 50013, "Assertion failed signature validation. [Reason - The key was not found.]"),
} as const;

/** "2026-11-23 05:32:36Z", the timestamp format of Entra error descriptions. */
function aadTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** Writes the error body Entra sends: the description embeds the code, trace and correlation IDs, never request secrets. */
export function sendAadError(res: ServerResponse, failure: AadError, correlationId: string = randomUUID()): void {
  const traceId = randomUUID();
  const timestamp = aadTimestamp(new Date());
  sendJson(res, failure.status, {
    error: failure.error,
    error_description: `AADSTS${failure.code}: ${failure.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [failure.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${failure.code}`,
  });
}
