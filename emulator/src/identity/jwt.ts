import { constants, createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import type { JsonWebKey, KeyObject } from "node:crypto";

/** A JWT split into its parts; claims are untrusted until the signature is verified. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** An RSA key the emulator signs tokens with; `kid` names it in JWT headers and the JWKS document. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function createSigningKey(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" });
  return { kid: createHash("sha1").update(spki).digest("base64url"), privateKey, publicKey };
}

export function publicJwk(key: SigningKey): JsonWebKey {
  return { ...key.publicKey.export({ format: "jwk" }), kid: key.kid, use: "sig", alg: "RS256" };
}

function encodeSegment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** Signs `payload` with RS256, naming the key by `kid` and `x5t` as Entra does. */
export function signJwt(payload: object, key: SigningKey): string {
  const signingInput = `${encodeSegment({ typ: "JWT", alg: "RS256", x5t: key.kid, kid: key.kid })}.${encodeSegment(payload)}`;
  return `${signingInput}.${sign("sha256", Buffer.from(signingInput), key.privateKey).toString("base64url")}`;
}

function parseSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const [headerPart = "", payloadPart = "", signaturePart = ""] = parts;
  const header = parseSegment(headerPart);
  const payload = parseSegment(payloadPart);
  if (header === undefined || payload === undefined || signaturePart === "") return undefined;
  return { header, payload, signingInput: `${headerPart}.${payloadPart}`, signature: Buffer.from(signaturePart, "base64url") };
}

/** Verifies an RS256 or PS256 signature (MSAL signs certificate assertions with PS256 when it has a SHA-256 thumbprint). */
export function hasValidSignature(jwt: DecodedJwt, publicKey: KeyObject): boolean {
  const data = Buffer.from(jwt.signingInput);
  switch (jwt.header["alg"]) {
    case "RS256":
      return verify("sha256", data, publicKey, jwt.signature);
    case "PS256":
      return verify("sha256", data, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jwt.signature);
    default:
      return false;
  }
}

export function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" ? value : undefined;
}

export function numberClaim(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The `aud` claim as a list: JWTs may carry one audience or an array of them. */
export function audienceClaim(claims: Record<string, unknown>): string[] {
  const value = claims["aud"];
  if (typeof value === "string") return [value];
  return Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === "string") : [];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
