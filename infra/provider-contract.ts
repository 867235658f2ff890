/**
 * What a provider stack exports and its tenant stacks read through a StackReference: the names are the contract
 * between the two projects, so both sides take them from here. None is secret: MSSP mode has no secret to export.
 */
export const PROVIDER_OUTPUT_NAMES = [
  "tenantId",
  "cloud",
  "clientId",
  "declaredRoles",
  "federatedCredential",
  "identityResourceId",
  "identityClientId",
  "identityPrincipalId",
  "location",
  "resourceGroupName",
  "environmentId",
  "stateAccountName",
  "stateBlobEndpoint",
  "workspaceId",
] as const;
export type ProviderOutputName = (typeof PROVIDER_OUTPUT_NAMES)[number];

/** The values behind those names, as the provider program exports them. */
export interface ProviderOutputs {
  /** The MSSP's Entra tenant, home of the app and of the identity. */
  readonly tenantId: string;
  /** Cloud name (collector/src/config/clouds.ts); every customer of this provider must be in the same cloud. */
  readonly cloud: string;
  /** Application (client) id of the multi-tenant app each customer tenant consents to. */
  readonly clientId: string;
  /** App role values the app declares (`requiredResourceAccesses`): what a tenant stack may grant. */
  readonly declaredRoles: readonly string[];
  /** The app's trust in the identity, for audits: `{ issuer, subject, audience }`. */
  readonly federatedCredential: { readonly issuer: string; readonly subject: string; readonly audience: string };
  /** The shared user-assigned identity every collector job runs as. */
  readonly identityResourceId: string;
  readonly identityClientId: string;
  readonly identityPrincipalId: string;
  /** Azure region of the shared environment; every job must be in it. */
  readonly location: string;
  readonly resourceGroupName: string;
  /** The shared Container Apps environment (logs go to the provider's Log Analytics workspace). */
  readonly environmentId: string;
  /** Storage account holding one state container per customer; the identity has blob data rights on it. */
  readonly stateAccountName: string;
  readonly stateBlobEndpoint: string;
  /** The Log Analytics workspace the shared environment logs to: each tenant stack's alerts and workbook query it. */
  readonly workspaceId: string;
}
