/**
 * The Pulumi program: one stack onboards one customer tenant (see docs/deploy.md).
 * Loaded by plain Node ESM (Pulumi's Node runtime imports this file), so imports carry `.ts` and `index.js` paths.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./config.ts";
import { readProjectConfig } from "./read-config.ts";
import { declareTenantStack } from "./tenant-stack.ts";

const azureNative = new pulumi.Config("azure-native");
const { values, secretKeys } = readProjectConfig();
const config = parseStackConfig(values, { azureNativeTenantId: azureNative.get("tenantId"), secretKeys });
const stack = declareTenantStack(config, {
  stack: pulumi.getStack(),
  now: new Date(),
  azureSubscriptionId: azureNative.get("subscriptionId"),
  azureTenantId: azureNative.get("tenantId"),
});

export const clientId = stack.clientId;
export const tenantId = stack.tenantId;
export const servicePrincipalObjectId = stack.servicePrincipalObjectId;
export const grantedRoles = stack.grantedRoles;
export const credential = stack.credential;
export const credentialExpiresAt = stack.credentialExpiresAt;
export const jobName = stack.jobName;
export const resourceGroupName = stack.resourceGroupName;
export const stateLocation = stack.stateLocation;
