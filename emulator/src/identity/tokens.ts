import { createHash, randomBytes } from "node:crypto";
import { nowSeconds, signJwt } from "./jwt.ts";
import type { SigningKey } from "./jwt.ts";
import type { Grantee } from "./principals.ts";
import type { ManagedIdentity } from "./types.ts";

/** How the client proved its identity, as Entra records it in `appidacr`: "1" shared secret, "2" certificate or federated assertion. */
export type AppIdAcr = "1" | "2";

/** The issuer of tokens a Kubernetes cluster projects into pods when it runs without a public OIDC issuer of its own. */
export const WORKLOAD_ISSUER = "https://kubernetes.default.svc.cluster.local";

/**
 * The issuer Entra puts in managed identity tokens, which is what a federated credential trusting the identity names:
 * the cloud's login host (login.microsoftonline.us in US Government) and the identity's tenant.
 */
export function managedIdentityIssuer(tenantId: string, authorityHost: string): string {
  return `https://${authorityHost}/${tenantId}/v2.0`;
}

/** A stable GUID for an app's service principal in a tenant, so `oid` is the same on every token of one app there. */
export function servicePrincipalObjectId(principal: Pick<Grantee, "tenantId" | "clientId">): string {
  const hex = createHash("sha256").update(`${principal.tenantId.toLowerCase()}/${principal.clientId.toLowerCase()}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function lifetimeClaims(lifetimeSeconds: number): { iat: number; nbf: number; exp: number } {
  const now = nowSeconds();
  return { iat: now, nbf: now, exp: now + lifetimeSeconds };
}

/**
 * A v1.0 app-only access token, shaped like the ones Entra issues for https://manage.office.com: issued by the
 * requested tenant to the app's service principal there, with the roles granted there.
 */
export function issueAccessToken(grantee: Grantee, audience: string, appidacr: AppIdAcr, key: SigningKey, lifetimeSeconds: number): string {
  const oid = servicePrincipalObjectId(grantee);
  const issuer = `https://sts.windows.net/${grantee.tenantId}/`;
  return signJwt(
    {
      aud: audience,
      iss: issuer,
      ...lifetimeClaims(lifetimeSeconds),
      appid: grantee.clientId,
      appidacr,
      idp: issuer,
      idtyp: "app",
      oid,
      // Entra leaves `roles` out entirely when nothing is granted.
      ...(grantee.roles.length > 0 ? { roles: [...grantee.roles] } : {}),
      sub: oid,
      tid: grantee.tenantId,
      uti: randomBytes(16).toString("base64url"),
      ver: "1.0",
    },
    key,
  );
}

/** A v2.0 managed identity token (and its exp); used as the client assertion of an app that trusts the identity through a federated credential. */
export function issueManagedIdentityToken(
  identity: ManagedIdentity,
  resource: string,
  authorityHost: string,
  key: SigningKey,
  lifetimeSeconds: number,
): { token: string; exp: number } {
  const lifetime = lifetimeClaims(lifetimeSeconds);
  const token = signJwt(
    {
      aud: resource,
      iss: managedIdentityIssuer(identity.tenantId, authorityHost),
      ...lifetime,
      azp: identity.clientId,
      azpacr: "2",
      idtyp: "app",
      oid: identity.principalId,
      sub: identity.principalId,
      tid: identity.tenantId,
      uti: randomBytes(16).toString("base64url"),
      ver: "2.0",
    },
    key,
  );
  return { token, exp: lifetime.exp };
}

/** A projected service-account token as a Kubernetes cluster writes it for workload identity. */
export function issueWorkloadToken(subject: string, audience: string, key: SigningKey, lifetimeSeconds: number): string {
  return signJwt({ aud: [audience], iss: WORKLOAD_ISSUER, sub: subject, ...lifetimeClaims(lifetimeSeconds) }, key);
}
