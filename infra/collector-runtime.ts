import * as app from "@pulumi/azure-native/app/index.js";
import * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as managedidentity from "@pulumi/azure-native/managedidentity/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as resources from "@pulumi/azure-native/resources/index.js";
import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../collector/src/config/clouds.ts";
import type { ContentType } from "../collector/src/source/content.ts";
import { AppCredential } from "./app-credential.ts";
import type { CredentialMode } from "./config.ts";
import { roleAssignmentName, roleDefinitionId } from "./deterministic-names.ts";
import { SECRET_MOUNT_PATH } from "./job-wiring.ts";
import type { JobEnvVar, JobWiring } from "./job-wiring.ts";
import type { RotationWindow } from "./rotation.ts";
import { KEY_VAULT_SECRETS_USER_ROLE_ID, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID } from "./well-known-ids.ts";

export interface CollectorRuntimeArgs {
  /** Short customer name; prefixes every Azure resource name (Azure appends a random suffix to global names). */
  readonly customer: string;
  /** Azure region of every runtime resource. */
  readonly location: string;
  readonly cloud: Cloud;
  /** The customer tenant the collector reads. */
  readonly tenantId: string;
  /** `PublisherIdentifier` sent on every Management API call. */
  readonly publisherId: string;
  readonly contentTypes: readonly ContentType[];
  /** Container image that provides the `auditfeed` command. */
  readonly image: string;
  /** Five-field cron expression (UTC) of the job; default every 5 minutes. */
  readonly schedule: string;
  /** Longest a run may take, in seconds, before Container Apps stops it. */
  readonly replicaTimeoutSeconds: number;
  /** Retention of the Log Analytics workspace, in days. */
  readonly logRetentionDays: number;
  readonly credential: CredentialMode;
  readonly rotation: RotationWindow;
  /** The app registration the collector signs in as. */
  readonly app: { readonly applicationResourceId: pulumi.Input<string>; readonly clientId: pulumi.Input<string> };
  /** Consent and directory-role assignments; the job is created only after all of them. */
  readonly grants: readonly pulumi.Resource[];
  /** Where the collector delivers: the sink's name, its URL if any, and its secret (kept in Key Vault) if any. */
  readonly sink: { readonly name: string; readonly url: string | undefined; readonly secret: pulumi.Output<string> | undefined };
}

/** Container name of the collector's state in the storage account. */
export const STATE_CONTAINER_NAME = "auditfeed-state";
const SINK_SECRET_NAME = "sink-secret";

/**
 * The collector's runtime in the Azure subscription the stack targets: a resource group holding a user-assigned
 * identity, a storage account (shared keys off) for state, a Key Vault (RBAC) for credentials, a Log Analytics
 * workspace, a Container Apps environment, and a scheduled Container Apps Job running `auditfeed once`.
 * The identity gets exactly two roles: blob data on the state container and secret reads on the vault.
 */
export class CollectorRuntime extends pulumi.ComponentResource {
  public readonly resourceGroupName: pulumi.Output<string>;
  public readonly jobName: pulumi.Output<string>;
  /** `azblob://<account>/<container>`: the collector's `AUDITFEED_STATE`. */
  public readonly stateLocation: pulumi.Output<string>;
  public readonly identityClientId: pulumi.Output<string>;
  public readonly vaultName: pulumi.Output<string>;
  /** When the app credential expires (RFC 3339); undefined for a federated credential, which does not. */
  public readonly credentialExpiresAt: pulumi.Output<string> | undefined;

  constructor(name: string, args: CollectorRuntimeArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("auditfeed:index:CollectorRuntime", name, {}, opts);
    const parent = { parent: this };
    const client = authorization.getClientConfigOutput(parent);
    const location = args.location;

    const group = new resources.ResourceGroup(`${name}-rg`, { location }, parent);
    const resourceGroupName = group.name;
    const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName, location }, parent);

    // Global names (storage account, vault) are autonamed with a random suffix, so `destroy` then `up` never meets
    // the soft-deleted vault of the previous incarnation.
    const account = new storage.StorageAccount(
      `${args.customer}state`,
      {
        resourceGroupName,
        location,
        kind: storage.Kind.StorageV2,
        sku: { name: storage.SkuName.Standard_LRS },
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        defaultToOAuthAuthentication: true,
        enableHttpsTrafficOnly: true,
        minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      },
      parent,
    );
    const container = new storage.BlobContainer(
      `${name}-state`,
      { resourceGroupName, accountName: account.name, containerName: STATE_CONTAINER_NAME, publicAccess: storage.PublicAccess.None },
      parent,
    );
    const vault = new keyvault.Vault(
      `${args.customer}kv`,
      {
        resourceGroupName,
        location,
        properties: {
          tenantId: client.tenantId,
          sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
          enableRbacAuthorization: true,
          enableSoftDelete: true,
          // The minimum Azure allows: a destroyed stack's vault lingers a week, not the default 90 days.
          softDeleteRetentionInDays: 7,
        },
      },
      parent,
    );

    const roleAssignment = (suffix: string, scope: pulumi.Output<string>, roleGuid: string): authorization.RoleAssignment =>
      new authorization.RoleAssignment(
        `${name}-${suffix}`,
        {
          scope,
          principalId: identity.principalId,
          // Declaring the type spares a failed first attempt while the new identity replicates.
          principalType: authorization.PrincipalType.ServicePrincipal,
          roleDefinitionId: client.subscriptionId.apply((subscriptionId) => roleDefinitionId(subscriptionId, roleGuid)),
          roleAssignmentName: pulumi.all([scope, identity.principalId]).apply(([s, principal]) => roleAssignmentName(s, principal, roleGuid)),
        },
        parent,
      );
    const stateAccess = roleAssignment("state-blob-contributor", container.id, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID);
    const vaultAccess = roleAssignment("vault-secrets-user", vault.id, KEY_VAULT_SECRETS_USER_ROLE_ID);

    const credential = new AppCredential(
      `${name}-credential`,
      {
        mode: args.credential,
        applicationResourceId: args.app.applicationResourceId,
        tenantId: args.tenantId,
        cloud: args.cloud,
        identity: { principalId: identity.principalId, tenantId: identity.tenantId },
        vault: { resourceGroupName, vaultName: vault.name },
        rotation: args.rotation,
        certificateSubject: `auditfeed collector ${args.customer}`,
      },
      parent,
    );
    const sinkWiring = this.sinkWiring(name, args, resourceGroupName, vault.name);

    const workspace = new operationalinsights.Workspace(
      `${name}-logs`,
      { resourceGroupName, location, sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 }, retentionInDays: args.logRetentionDays },
      parent,
    );
    const workspaceKeys = operationalinsights.getSharedKeysOutput({ resourceGroupName, workspaceName: workspace.name }, parent);
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
      parent,
    );

    const common: JobEnvVar[] = [
      { name: "AUDITFEED_CLOUD", value: args.cloud.name },
      { name: "AUDITFEED_TENANT_ID", value: args.tenantId },
      { name: "AUDITFEED_CLIENT_ID", value: args.app.clientId },
      { name: "AUDITFEED_PUBLISHER_ID", value: args.publisherId },
      { name: "AUDITFEED_CONTENT_TYPES", value: args.contentTypes.join(",") },
      // Every mode uses the identity for state; the federated mode also exchanges its token for the app's.
      { name: "AUDITFEED_MANAGED_IDENTITY_CLIENT_ID", value: identity.clientId },
      { name: "AUDITFEED_STATE", value: pulumi.interpolate`azblob://${account.name}/${STATE_CONTAINER_NAME}` },
      // The blob host differs per cloud (blob.core.usgovcloudapi.net in US Government), so it is passed, not derived.
      { name: "AUDITFEED_STATE_BLOB_ENDPOINT", value: account.primaryEndpoints.blob },
    ];
    const wiring = mergeWiring([{ env: common, secrets: [], files: [] }, credential.wiring, sinkWiring]);

    const job = new app.Job(
      `${name}-job`,
      {
        resourceGroupName,
        location,
        environmentId: environment.id,
        identity: { type: app.ManagedServiceIdentityType.UserAssigned, userAssignedIdentities: [identity.id] },
        configuration: {
          triggerType: app.TriggerType.Schedule,
          scheduleTriggerConfig: { cronExpression: args.schedule, parallelism: 1, replicaCompletionCount: 1 },
          replicaTimeout: args.replicaTimeoutSeconds,
          replicaRetryLimit: 1,
          secrets: wiring.secrets.map((secret) => ({ name: secret.name, keyVaultUrl: secret.keyVaultUrl, identity: identity.id })),
        },
        template: {
          containers: [
            {
              name: "collector",
              image: args.image,
              command: ["auditfeed", "once"],
              env: wiring.env.map((variable) => ({ ...variable })),
              resources: { cpu: 0.5, memory: "1Gi" },
              volumeMounts: wiring.files.length > 0 ? [{ volumeName: "secrets", mountPath: SECRET_MOUNT_PATH }] : [],
            },
          ],
          volumes:
            wiring.files.length > 0
              ? [
                  {
                    name: "secrets",
                    storageType: app.StorageType.Secret,
                    secrets: wiring.files.map((file) => ({ secretRef: file.secretRef, path: file.fileName })),
                  },
                ]
              : [],
        },
      },
      // The first run must find consent, the directory role, the credential and its own data-plane roles in place.
      { parent: this, dependsOn: [...args.grants, credential.credential, stateAccess, vaultAccess] },
    );

    this.resourceGroupName = resourceGroupName;
    this.jobName = job.name;
    this.stateLocation = pulumi.interpolate`azblob://${account.name}/${STATE_CONTAINER_NAME}`;
    this.identityClientId = identity.clientId;
    this.vaultName = vault.name;
    this.credentialExpiresAt = credential.expiresAt;
    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      jobName: this.jobName,
      stateLocation: this.stateLocation,
      identityClientId: this.identityClientId,
      vaultName: this.vaultName,
    });
  }

  private sinkWiring(name: string, args: CollectorRuntimeArgs, resourceGroupName: pulumi.Output<string>, vaultName: pulumi.Output<string>): JobWiring {
    const env: JobEnvVar[] = [{ name: "AUDITFEED_SINK", value: args.sink.name }];
    if (args.sink.url !== undefined) env.push({ name: "AUDITFEED_SINK_URL", value: args.sink.url });
    if (args.sink.secret === undefined) return { env, secrets: [], files: [] };
    const stored = new keyvault.Secret(
      `${name}-${SINK_SECRET_NAME}`,
      { resourceGroupName, vaultName, secretName: SINK_SECRET_NAME, properties: { value: pulumi.secret(args.sink.secret), contentType: "text/plain" } },
      { parent: this },
    );
    env.push({ name: "AUDITFEED_SINK_SECRET", secretRef: SINK_SECRET_NAME });
    return { env, secrets: [{ name: SINK_SECRET_NAME, keyVaultUrl: stored.properties.secretUri }], files: [] };
  }
}

function mergeWiring(parts: readonly JobWiring[]): JobWiring {
  return {
    env: parts.flatMap((part) => part.env),
    secrets: parts.flatMap((part) => part.secrets),
    files: parts.flatMap((part) => part.files),
  };
}
