import { audienceClaim, decodeJwt, hasValidSignature, numberClaim, stringClaim } from "./jwt.ts";
import type { SigningKey } from "./jwt.ts";
import type { TokenCheck } from "./types.ts";

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** Checks a Management API request's Authorization header against the tokens this emulator's authority issues. */
export function verifyBearer(authorization: string | undefined, audience: string, key: SigningKey): TokenCheck {
  if (authorization === undefined || authorization.trim() === "") return { ok: false, reason: "missing" };
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) return { ok: false, reason: "malformed" };
  const jwt = decodeJwt(token);
  if (jwt === undefined) return { ok: false, reason: "malformed" };
  if (jwt.header["alg"] !== "RS256" || !hasValidSignature(jwt, key.publicKey)) return { ok: false, reason: "bad-signature" };

  const claims = jwt.payload;
  const exp = numberClaim(claims, "exp");
  const aud = audienceClaim(claims)[0];
  if (exp === undefined || aud === undefined) return { ok: false, reason: "malformed" };
  // Wall clock on purpose: the emulator may run a virtual clock for audit content, but token expiry is real time.
  if (exp * 1000 <= Date.now()) return { ok: false, reason: "expired" };
  if (!sameResource(aud, audience)) return { ok: false, reason: "wrong-audience" };
  const tid = stringClaim(claims, "tid");
  const appid = stringClaim(claims, "appid");
  if (tid === undefined || appid === undefined) return { ok: false, reason: "malformed" };
  const roles = Array.isArray(claims["roles"]) ? claims["roles"].filter((role): role is string => typeof role === "string") : [];
  return { ok: true, token: { tid, appid, aud, roles, exp } };
}

/** Resource identifiers compare case-insensitively and without a trailing slash, as Entra compares them. */
export function sameResource(a: string, b: string): boolean {
  const normalise = (value: string) => value.replace(/\/+$/, "").toLowerCase();
  return normalise(a) === normalise(b);
}
