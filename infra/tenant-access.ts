import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { GLOBAL_READER_ROLE_TEMPLATE_ID, MICROSOFT_GRAPH_APP_ID, OFFICE365_MANAGEMENT_APP_ID } from "./well-known-ids.ts";

/** An API whose application permissions (app roles) the collector's app is granted, by role name. */
export interface ApiRoleRequest {
  /** Short key used in resource names. */
  readonly key: "o365" | "graph";
  /** The API's display name, as the grant list shows it. */
  readonly api: string;
  /** Application (client) id of the API; its service principal in the customer tenant holds the role ids. */
  readonly appId: string;
  /** App role values, e.g. `ActivityFeed.Read`. */
  readonly roles: readonly string[];
}

export interface TenantAccessArgs {
  /** Short name of the customer; prefixes nothing here but is written into notes for the tenant's admins. */
  readonly customerDisplayName: string;
  /** Assign the Entra directory role Global Reader to the app (default true: vendors' onboarding asks for it). */
  readonly globalReader: boolean;
  /** Grant Microsoft Graph User.Read.All (user inventory). Off by default. */
  readonly graphUserRead: boolean;
  /** Grant Microsoft Graph User.EnableDisableAccount.All (disable an account as a response). Off by default. */
  readonly graphUserDisable: boolean;
  /**
   * Create the Office 365 Management APIs service principal, for the rare tenant that has none (no Microsoft 365
   * service ever provisioned). Created with `retainOnDelete`: Microsoft's service principal is never deleted by
   * `pulumi destroy`, and if it already exists it is adopted instead of failing. Default false: only read it.
   */
  readonly provisionManagementApiServicePrincipal: boolean;
  /** Stack name, for the notes that tell admins where this app is managed. */
  readonly stack: string;
  /**
   * MSSP mode: the client id of the provider's multi-tenant app. Its service principal is created here instead of an
   * app of this tenant's own; deleting that service principal (destroy) revokes every grant below with it.
   */
  readonly providerClientId?: pulumi.Input<string>;
}

/** The app roles the collector needs, given the switches; ActivityFeed.* are always granted. */
export function requestedApiRoles(args: Pick<TenantAccessArgs, "graphUserRead" | "graphUserDisable">): readonly ApiRoleRequest[] {
  const requests: ApiRoleRequest[] = [
    { key: "o365", api: "Office 365 Management APIs", appId: OFFICE365_MANAGEMENT_APP_ID, roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"] },
  ];
  const graphRoles = [...(args.graphUserRead ? ["User.Read.All"] : []), ...(args.graphUserDisable ? ["User.EnableDisableAccount.All"] : [])];
  if (graphRoles.length > 0) {
    requests.push({ key: "graph", api: "Microsoft Graph", appId: MICROSOFT_GRAPH_APP_ID, roles: graphRoles });
  }
  return requests;
}

/** Looks a role up by its value on the API's service principal, failing with the names involved if it is absent. */
export function resolveAppRoleId(appRoleIds: Readonly<Record<string, string>>, api: string, role: string): string {
  const id = appRoleIds[role];
  if (id === undefined) {
    const known = Object.keys(appRoleIds).sort().join(", ") || "none";
    throw new Error(`The ${api} service principal in this tenant has no app role named ${role} (it has: ${known}); check the role name.`);
  }
  return id;
}

/**
 * Everything the customer tenant must grant the collector: the service principal it signs in as, admin consent for
 * each app role (one AppRoleAssignment per role, ids resolved by name from the API's service principal in that
 * tenant), and optionally the Global Reader directory role. The service principal is that of a single-tenant app
 * registered here, or, in MSSP mode, that of the provider's multi-tenant app (no app registration here at all).
 */
export class TenantAccess extends pulumi.ComponentResource {
  /** `/applications/{objectId}`: what credential resources take as `applicationId`; undefined in MSSP mode (no app here). */
  public readonly applicationResourceId: pulumi.Output<string> | undefined;
  public readonly clientId: pulumi.Output<string>;
  public readonly servicePrincipalObjectId: pulumi.Output<string>;
  /** Human-readable list of what was granted, e.g. `Office 365 Management APIs: ActivityFeed.Read`. */
  public readonly grantedRoles: readonly string[];
  /** Consent and directory-role assignments: whatever uses the app must wait for these. */
  public readonly grants: readonly pulumi.Resource[];

  constructor(name: string, args: TenantAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("auditfeed:index:TenantAccess", name, {}, opts);
    const deployer = azuread.getClientConfigOutput({ parent: this });

    const apis = requestedApiRoles(args).map((request) => {
      const created =
        request.key === "o365" && args.provisionManagementApiServicePrincipal
          ? [new azuread.ServicePrincipal(`${name}-o365-management`, { clientId: request.appId, useExisting: true }, { parent: this, retainOnDelete: true })]
          : [];
      // A data source, not a resource: nothing in this stack can ever delete Microsoft's service principal.
      const servicePrincipal = azuread.getServicePrincipalOutput({ clientId: request.appId }, { parent: this, dependsOn: created });
      const roleIds = request.roles.map((role) => ({
        role,
        id: servicePrincipal.appRoleIds.apply((ids) => resolveAppRoleId(ids, request.api, role)),
      }));
      return { request, servicePrincipal, roleIds };
    });

    const notes = `Reads the Office 365 audit logs of ${args.customerDisplayName} for auditfeed. Managed by the Pulumi stack ${args.stack}: change it there, not in the portal.`;
    const owners = [deployer.objectId];
    // In MSSP mode there is no app here: the provider's app is consented to through its service principal alone.
    let application: azuread.Application | undefined;
    let clientId: pulumi.Input<string>;
    if (args.providerClientId === undefined) {
      application = new azuread.Application(
        `${name}-app`,
        {
          displayName: `auditfeed collector (${args.customerDisplayName})`,
          signInAudience: "AzureADMyOrg",
          owners,
          notes,
          requiredResourceAccesses: apis.map(({ request, roleIds }) => ({
            resourceAppId: request.appId,
            resourceAccesses: roleIds.map(({ id }) => ({ id, type: "Role" })),
          })),
        },
        { parent: this },
      );
      clientId = application.clientId;
    } else {
      clientId = args.providerClientId;
    }
    const servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      {
        clientId,
        owners,
        notes,
        appRoleAssignmentRequired: false,
        // MSSP mode: an admin may have consented in the portal before; adopt that service principal (destroy removes it).
        ...(application === undefined ? { useExisting: true } : {}),
      },
      { parent: this },
    );

    const consents = apis.flatMap(({ request, servicePrincipal: api, roleIds }) =>
      roleIds.map(
        ({ role, id }) =>
          new azuread.AppRoleAssignment(
            `${name}-${request.key}-${role}`,
            { appRoleId: id, principalObjectId: servicePrincipal.objectId, resourceObjectId: api.objectId },
            { parent: this },
          ),
      ),
    );
    const directoryRoles = args.globalReader
      ? [
          new azuread.DirectoryRoleAssignment(
            `${name}-global-reader`,
            // Built-in roles are assigned by template id; the object id of an activated role would be refused.
            { roleId: GLOBAL_READER_ROLE_TEMPLATE_ID, principalObjectId: servicePrincipal.objectId },
            { parent: this },
          ),
        ]
      : [];

    this.applicationResourceId = application?.id;
    this.clientId = servicePrincipal.clientId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    this.grantedRoles = [
      ...apis.flatMap(({ request }) => request.roles.map((role) => `${request.api}: ${role}`)),
      ...(args.globalReader ? ["Entra directory role: Global Reader"] : []),
    ];
    this.grants = [...consents, ...directoryRoles];
    this.registerOutputs({
      applicationResourceId: this.applicationResourceId,
      clientId: this.clientId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      grantedRoles: this.grantedRoles,
    });
  }
}
