/**
 * The provider program of MSSP mode (project auditfeed-provider): one stack per MSSP, holding the multi-tenant app and
 * the runtime its customers' tenant stacks share (see docs/deploy.md, "MSSP mode"). Loaded by plain Node ESM, like
 * the tenant program.
 */
import * as pulumi from "@pulumi/pulumi";
import { readProjectConfig } from "../read-config.ts";
import { parseProviderConfig } from "./config.ts";
import { declareProviderStack } from "./provider-stack.ts";

const azureNative = new pulumi.Config("azure-native");
const outputs = declareProviderStack(parseProviderConfig(readProjectConfig().values, { azureNativeTenantId: azureNative.get("tenantId") }), {
  stack: pulumi.getStack(),
  azureSubscriptionId: azureNative.get("subscriptionId"),
  azureTenantId: azureNative.get("tenantId"),
});

// The names are the contract with tenant stacks (infra/provider-contract.ts); a test checks they match.
export const tenantId = outputs.tenantId;
export const cloud = outputs.cloud;
export const clientId = outputs.clientId;
export const declaredRoles = outputs.declaredRoles;
export const federatedCredential = outputs.federatedCredential;
export const identityResourceId = outputs.identityResourceId;
export const identityClientId = outputs.identityClientId;
export const identityPrincipalId = outputs.identityPrincipalId;
export const location = outputs.location;
export const resourceGroupName = outputs.resourceGroupName;
export const environmentId = outputs.environmentId;
export const stateAccountName = outputs.stateAccountName;
export const stateBlobEndpoint = outputs.stateBlobEndpoint;
export const workspaceId = outputs.workspaceId;
