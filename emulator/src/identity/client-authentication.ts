import { timingSafeEqual, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { aadErrors } from "./aad-errors.ts";
import type { AadError } from "./aad-errors.ts";
import { sameResource } from "./bearer.ts";
import { audienceClaim, decodeJwt, hasValidSignature, numberClaim, nowSeconds, stringClaim } from "./jwt.ts";
import type { DecodedJwt } from "./jwt.ts";
import type { AppIdAcr } from "./tokens.ts";
import type { AppRegistration } from "./types.ts";

export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface AuthenticationContext {
  /** The token endpoint URL as the client addressed it: the `aud` a certificate assertion must carry. */
  tokenEndpoint: string;
  /** The cloud's token-exchange audience: the only `aud` a federated assertion is accepted with. */
  tokenExchangeAudience: string;
  /** The public key of a federated issuer this emulator signs for (managed identity, workload identity), or undefined for any other issuer. */
  federatedIssuerKey(issuer: string): KeyObject | undefined;
  /** The tenant whose managed identities `issuer` names (Entra itself as the issuer), or undefined for other issuers. */
  managedIdentityTenant(issuer: string): string | undefined;
}

export type Authentication = { ok: true; appidacr: AppIdAcr } | { ok: false; failure: AadError };

function fail(failure: AadError): Authentication {
  return { ok: false, failure };
}

function secretMatches(presented: string, accepted: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(accepted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Assertions carry nbf/exp; Entra allows a few minutes of clock skew for clients' clocks. */
const ASSERTION_SKEW_SECONDS = 300;

function withinTimeRange(jwt: DecodedJwt): boolean {
  const now = nowSeconds();
  const exp = numberClaim(jwt.payload, "exp");
  const nbf = numberClaim(jwt.payload, "nbf") ?? numberClaim(jwt.payload, "iat") ?? now;
  return exp !== undefined && exp + ASSERTION_SKEW_SECONDS > now && nbf - ASSERTION_SKEW_SECONDS <= now;
}

/** The registered certificates, parsed now because tests add and remove them between requests. */
function registeredCertificates(app: AppRegistration): X509Certificate[] {
  return app.certificatePems.map((pem) => new X509Certificate(pem));
}

function thumbprintOf(cert: X509Certificate, algorithm: "sha1" | "sha256"): string {
  return (algorithm === "sha1" ? cert.fingerprint : cert.fingerprint256).replaceAll(":", "");
}

/** A private_key_jwt assertion: iss = sub = client_id, signed by a key whose certificate is registered on the app. */
function authenticateCertificateAssertion(jwt: DecodedJwt, app: AppRegistration, context: AuthenticationContext): Authentication {
  if (stringClaim(jwt.payload, "sub") !== app.clientId) return fail(aadErrors.assertionSubject());
  const audience = audienceClaim(jwt.payload).find((aud) => sameResource(aud, context.tokenEndpoint));
  if (audience === undefined) return fail(aadErrors.assertionAudience(audienceClaim(jwt.payload).join(" "), context.tokenEndpoint));
  if (!withinTimeRange(jwt)) return fail(aadErrors.assertionTimeRange());

  const x5tS256 = stringClaim(jwt.header, "x5t#S256");
  const x5t = stringClaim(jwt.header, "x5t");
  const [algorithm, presented] = x5tS256 !== undefined ? (["sha256", x5tS256] as const) : (["sha1", x5t] as const);
  const presentedHex = presented === undefined ? undefined : Buffer.from(presented, "base64url").toString("hex").toUpperCase();
  const candidates = registeredCertificates(app).filter((cert) => presentedHex === undefined || thumbprintOf(cert, algorithm) === presentedHex);
  const signer = candidates.find((cert) => hasValidSignature(jwt, cert.publicKey));
  if (signer === undefined) {
    return fail(
      candidates.length === 0 && presentedHex !== undefined ? aadErrors.certificateNotRegistered(presentedHex, app.clientId) : aadErrors.assertionSignature(),
    );
  }
  const now = Date.now();
  if (Date.parse(signer.validFrom) > now || Date.parse(signer.validTo) < now) return fail(aadErrors.certificateExpired(thumbprintOf(signer, algorithm)));
  return { ok: true, appidacr: "2" };
}

/** A token from another issuer (managed identity, Kubernetes) exchanged through one of the app's federated identity credentials. */
function authenticateFederatedAssertion(jwt: DecodedJwt, app: AppRegistration, context: AuthenticationContext): Authentication {
  const issuer = stringClaim(jwt.payload, "iss") ?? "";
  const subject = stringClaim(jwt.payload, "sub") ?? "";
  const audiences = audienceClaim(jwt.payload);
  const identityTenant = context.managedIdentityTenant(issuer);
  // The trust works only inside one tenant; another tenant is reached by consenting there to a multi-tenant app.
  if (identityTenant !== undefined && identityTenant.toLowerCase() !== app.tenantId.toLowerCase()) return fail(aadErrors.crossTenantEntraAssertion(issuer));
  const key = context.federatedIssuerKey(issuer);
  const byIssuer = app.federatedCredentials.filter((credential) => credential.issuer === issuer);
  if (key === undefined || byIssuer.length === 0) return fail(aadErrors.federatedIssuerNotFound(issuer));
  if (!hasValidSignature(jwt, key)) return fail(aadErrors.federatedSignature());
  if (!withinTimeRange(jwt)) return fail(aadErrors.assertionTimeRange());
  const bySubject = byIssuer.filter((credential) => credential.subject === subject);
  if (bySubject.length === 0) return fail(aadErrors.federatedSubjectNotFound(subject));
  // The assertion must be for this cloud's exchange audience, and the credential must list it: a commercial audience
  // is refused in US Government and the reverse, however the credential was written.
  const wanted = context.tokenExchangeAudience;
  const matched = audiences.includes(wanted) && bySubject.some((credential) => credential.audiences.includes(wanted));
  if (!matched) return fail(aadErrors.federatedAudienceNotFound(issuer, subject, audiences.join(" ")));
  return { ok: true, appidacr: "2" };
}

/** Authenticates the client of a client_credentials request the way Entra does: a secret, a certificate assertion or a federated assertion. */
export function authenticateClient(form: URLSearchParams, app: AppRegistration, context: AuthenticationContext): Authentication {
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    if (app.secrets.some((accepted) => secretMatches(secret, accepted))) return { ok: true, appidacr: "1" };
    const expired = (app.expiredSecrets ?? []).some((old) => secretMatches(secret, old));
    return fail(expired ? aadErrors.expiredSecret(app.clientId) : aadErrors.invalidSecret(app.clientId));
  }
  if (assertion === null) return fail(aadErrors.missingCredential());
  const assertionType = form.get("client_assertion_type") ?? "";
  if (assertionType !== JWT_BEARER_ASSERTION_TYPE) return fail(aadErrors.unsupportedAssertionType(assertionType));
  const jwt = decodeJwt(assertion);
  if (jwt === undefined) return fail(aadErrors.malformedAssertion());
  // A private_key_jwt names the client as its own issuer; anything else is a token to exchange via a federated credential.
  return stringClaim(jwt.payload, "iss") === app.clientId
    ? authenticateCertificateAssertion(jwt, app, context)
    : authenticateFederatedAssertion(jwt, app, context);
}
