import * as app from "@pulumi/azure-native/app/index.js";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../../collector/src/config/clouds.ts";
import { managedIdentityIssuer } from "../app-credential.ts";
import { roleAssignmentName, roleDefinitionId } from "../deterministic-names.ts";
import { requestedApiRoles, resolveAppRoleId } from "../tenant-access.ts";
import { STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID } from "../well-known-ids.ts";
import { collectorStorageAccount } from "../storage-account.ts";

export interface MsspProviderArgs {
  /** Short name of the MSSP; prefixes every Azure resource name. */
  readonly name: string;
  readonly displayName: string;
  /** The MSSP's tenant: the app's home, and where the identity must be created. */
  readonly tenantId: string;
  readonly cloud: Cloud;
  readonly location: string;
  readonly graphUserRead: boolean;
  readonly graphUserDisable: boolean;
  readonly logRetentionDays: number;
  /** False (the default) protects every shared piece, so `pulumi destroy` refuses before deleting anything. */
  readonly decommission: boolean;
  /** Stack name, for the notes that tell admins where the app is managed. */
  readonly stack: string;
}

/** The federated credential's three values: what the app trusts. */
export interface FederatedTrust {
  readonly issuer: string;
  readonly subject: string;
  readonly audience: string;
}

/** Refuses an identity created outside the app's tenant: Entra would answer every exchange with AADSTS700236. */
export function assertIdentityInProviderTenant(identityTenantId: string, providerTenantId: string): string {
  if (identityTenantId.toLowerCase() !== providerTenantId.toLowerCase()) {
    throw new Error(
      `The shared managed identity was created in tenant ${identityTenantId}, but the multi-tenant app is registered in ${providerTenantId}; Entra trusts an identity only in the app's own tenant. Deploy the provider stack into a subscription of tenant ${providerTenantId}.`,
    );
  }
  return providerTenantId;
}

/**
 * The MSSP's side of MSSP mode, in its own tenant and subscription: one multi-tenant app (no secret, no certificate)
 * whose only credential is a federated identity credential trusting one user-assigned managed identity, and the runtime
 * every customer's collector job shares: that identity, a storage account for their state containers, a Log Analytics
 * workspace and a Container Apps environment.
 *
 * Offboarding safety: unless `decommission` is set, every piece is protected, so `pulumi destroy` stops before deleting
 * anything. Tenant stacks put a delete lock on the environment, and the environment depends on every other piece, so
 * Pulumi deletes it first: while any tenant stack exists, Azure refuses that first deletion and nothing is lost.
 */
export class MsspProvider extends pulumi.ComponentResource {
  public readonly clientId: pulumi.Output<string>;
  public readonly declaredRoles: readonly string[];
  public readonly federatedCredential: pulumi.Output<FederatedTrust>;
  public readonly identityResourceId: pulumi.Output<string>;
  public readonly identityClientId: pulumi.Output<string>;
  public readonly identityPrincipalId: pulumi.Output<string>;
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly environmentId: pulumi.Output<string>;
  public readonly stateAccountName: pulumi.Output<string>;
  public readonly stateBlobEndpoint: pulumi.Output<string>;
  /** The shared Log Analytics workspace, where every customer's job logs: the tenant stacks' alerts read it. */
  public readonly workspaceId: pulumi.Output<string>;

  constructor(name: string, args: MsspProviderArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("auditfeed:index:MsspProvider", name, {}, opts);
    const kept = { parent: this, protect: !args.decommission };
    const client = authorization.getClientConfigOutput({ parent: this });
    const deployer = azuread.getClientConfigOutput({ parent: this });
    const location = args.location;

    const group = new resources.ResourceGroup(`${name}-rg`, { location }, kept);
    const resourceGroupName = group.name;
    const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName, location }, kept);
    const account = collectorStorageAccount(`${args.name}state`, { resourceGroupName, location }, kept);
    // The account, not each container: every job runs as this one identity, so a narrower scope would isolate nothing.
    const stateAccess = new authorization.RoleAssignment(
      `${name}-state-blob-contributor`,
      {
        scope: account.id,
        principalId: identity.principalId,
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: client.subscriptionId.apply((subscriptionId) => roleDefinitionId(subscriptionId, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID)),
        roleAssignmentName: pulumi
          .all([account.id, identity.principalId])
          .apply(([scope, principal]) => roleAssignmentName(scope, principal, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID)),
      },
      kept,
    );
    const workspace = new operationalinsights.Workspace(
      `${name}-logs`,
      { resourceGroupName, location, sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 }, retentionInDays: args.logRetentionDays },
      kept,
    );

    const requests = requestedApiRoles(args);
    const requiredResourceAccesses = requests.map((request) => {
      // Read from Microsoft's service principals in the MSSP tenant, never managed: the ids by name, as tenant stacks do.
      const api = azuread.getServicePrincipalOutput({ clientId: request.appId }, { parent: this });
      return {
        resourceAppId: request.appId,
        resourceAccesses: request.roles.map((role) => ({ id: api.appRoleIds.apply((ids) => resolveAppRoleId(ids, request.api, role)), type: "Role" })),
      };
    });
    const application = new azuread.Application(
      `${name}-app`,
      {
        displayName: `auditfeed collector (${args.displayName})`,
        // Multi-tenant: each customer tenant consents to this one app, whose service principal there holds the grants.
        signInAudience: "AzureADMultipleOrgs",
        owners: [deployer.objectId],
        notes: `Reads the Office 365 audit logs of ${args.displayName}'s customers for auditfeed, one consent per customer tenant. Its only credential trusts a managed identity; it has no secret or certificate. Managed by the Pulumi stack ${args.stack}: change it there, not in the portal.`,
        requiredResourceAccesses,
      },
      kept,
    );
    const trust = pulumi.all([identity.tenantId, identity.principalId]).apply(([identityTenant, principalId]) => ({
      issuer: managedIdentityIssuer(args.cloud, assertIdentityInProviderTenant(identityTenant, args.tenantId)),
      subject: principalId,
      audience: args.cloud.tokenExchangeAudience,
    }));
    const federated = new azuread.ApplicationFederatedIdentityCredential(
      `${name}-federated`,
      {
        applicationId: application.id,
        displayName: "auditfeed-collector-managed-identity",
        description: "Every auditfeed collector job of this MSSP runs as this managed identity and signs in to customer tenants as this app.",
        issuer: trust.issuer,
        subject: identity.principalId,
        audiences: [args.cloud.tokenExchangeAudience],
      },
      kept,
    );

    const workspaceKeys = operationalinsights.getSharedKeysOutput({ resourceGroupName, workspaceName: workspace.name }, { parent: this });
    const environment = new app.ManagedEnvironment(
      `${name}-environment`,
      {
        resourceGroupName,
        location,
        appLogsConfiguration: {
          destination: "log-analytics",
          logAnalyticsConfiguration: {
            customerId: workspace.customerId,
            sharedKey: pulumi.secret(workspaceKeys.apply((keys) => keys.primarySharedKey ?? "")),
          },
        },
      },
      // Depending on everything makes it the first deletion of a destroy: the tenant stacks' locks stop it there.
      { ...kept, dependsOn: [application, federated, identity, account, stateAccess] },
    );

    this.clientId = application.clientId;
    this.declaredRoles = requests.flatMap((request) => request.roles);
    this.federatedCredential = trust;
    this.identityResourceId = identity.id;
    this.identityClientId = identity.clientId;
    this.identityPrincipalId = identity.principalId;
    this.resourceGroupName = resourceGroupName;
    this.environmentId = environment.id;
    this.stateAccountName = account.name;
    this.stateBlobEndpoint = account.primaryEndpoints.blob;
    this.workspaceId = workspace.id;
    this.registerOutputs({
      clientId: this.clientId,
      declaredRoles: this.declaredRoles,
      federatedCredential: this.federatedCredential,
      identityResourceId: this.identityResourceId,
      environmentId: this.environmentId,
      stateAccountName: this.stateAccountName,
      workspaceId: this.workspaceId,
    });
  }
}
