/** An Entra ID stand-in that the real @azure/identity credentials accept: token endpoint, discovery, managed identity endpoint. */
export { createIdentityProvider } from "./provider.ts";
export type { AppRegistration, IdentityOptions, IdentityProvider, ManagedIdentity, TenantConsent, TokenCheck, VerifiedToken } from "./types.ts";
