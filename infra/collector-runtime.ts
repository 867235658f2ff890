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
import type { CredentialMode, ImageRegistry } from "./config.ts";
import { roleAssignmentName, roleDefinitionId } from "./deterministic-names.ts";
import { afterRolesApply } from "./role-propagation.ts";
import { SECRET_MOUNT_PATH } from "./job-wiring.ts";
import { jobEnvironment } from "./job-environment.ts";
import type { JobSetting, JobWiring } from "./job-wiring.ts";
import { CollectorMonitoring } from "./monitoring.ts";
import type { JobSinkConfig } from "./sinks/config.ts";
import { deadLetterInfra } from "./sinks/dead-letter.ts";
import { hasDeadLetter, sinkInfraFor } from "./sinks/index.ts";
import type { SinkInfraContext, SinkInfraResult } from "./sinks/sink-infra.ts";
import { sinkWiring } from "./sinks/wiring.ts";
import type { RotationWindow } from "./rotation.ts";
import { ACR_PULL_ROLE_ID, KEY_VAULT_SECRETS_USER_ROLE_ID, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID } from "./well-known-ids.ts";
import { collectorStorageAccount } from "./storage-account.ts";

/**
 * MSSP mode: the pieces the provider stack shares among its customers' jobs, read from its outputs. The job then
 * runs as the provider's identity in the provider's environment, and keeps its state in a container of its own in the
 * provider's storage account; nothing in this stack holds a credential.
 */
export interface SharedRuntime {
  /** The provider's user-assigned identity: Azure resource id, client id (token requests) and principal id (roles). */
  readonly identity: RuntimeIdentity;
  /** Region of the provider's environment: a job must be in its environment's region. */
  readonly location: pulumi.Input<string>;
  readonly environmentId: pulumi.Input<string>;
  /** Resource group and name of the provider's state storage account, and its blob endpoint. */
  readonly resourceGroupName: pulumi.Input<string>;
  readonly stateAccountName: pulumi.Input<string>;
  readonly stateBlobEndpoint: pulumi.Input<string>;
  /** The provider's Log Analytics workspace, where the shared environment puts every job's logs. */
  readonly workspaceId: pulumi.Input<string>;
  /** This tenant stack's name, written on the lock it puts on the provider's environment. */
  readonly stack: string;
}

/** The user-assigned identity a job runs as. */
export interface RuntimeIdentity {
  readonly resourceId: pulumi.Input<string>;
  readonly clientId: pulumi.Input<string>;
  readonly principalId: pulumi.Input<string>;
}

/** Where and as whom the job runs, what its credential adds, and what must exist before its first run. */
interface Hosting {
  readonly identity: RuntimeIdentity;
  readonly environmentId: pulumi.Input<string>;
  /** `azblob://<account>/<container>`. */
  readonly stateLocation: pulumi.Output<string>;
  readonly stateBlobEndpoint: pulumi.Output<string>;
  readonly credentialWiring: JobWiring;
  readonly credentialExpiresAt: pulumi.Output<string> | undefined;
  readonly readiness: readonly pulumi.Resource[];
  /** The Log Analytics workspace the job logs to: this stack's own, or in MSSP mode the provider's. */
  readonly workspaceId: pulumi.Output<string>;
  /** The storage account of the state: also where a sink's containers go. */
  readonly storage: SinkInfraContext["storage"];
}

export interface CollectorRuntimeArgs {
  /** Short customer name; prefixes every Azure resource name (Azure appends a random suffix to global names). */
  readonly customer: string;
  /** Azure region of every runtime resource (in MSSP mode, the provider's environment's region instead). */
  readonly location: string;
  readonly cloud: Cloud;
  /** The customer tenant the collector reads. */
  readonly tenantId: string;
  /** `PublisherIdentifier` sent on every Management API call. */
  readonly publisherId: string;
  readonly contentTypes: readonly ContentType[];
  /** Container image that provides the `auditfeed` command. */
  readonly image: string;
  /** The private registry of `image`, pulled with the managed identity; undefined for a public image. */
  readonly imageRegistry: ImageRegistry | undefined;
  /** Five-field cron expression (UTC) of the job; default every 5 minutes. */
  readonly schedule: string;
  /** Longest a run may take, in seconds, before Container Apps stops it. */
  readonly replicaTimeoutSeconds: number;
  /** Retention of the Log Analytics workspace, in days. */
  readonly logRetentionDays: number;
  readonly credential: CredentialMode;
  readonly rotation: RotationWindow;
  /** The app the collector signs in as; no application resource id in MSSP mode (the app is the provider's). */
  readonly app: { readonly applicationResourceId: pulumi.Input<string> | undefined; readonly clientId: pulumi.Input<string> };
  /** Consent and directory-role assignments; the job is created only after all of them. */
  readonly grants: readonly pulumi.Resource[];
  /** The collector sink the job delivers to, with the options the stack's owner set for it. */
  readonly sink: JobSinkConfig;
  /** MSSP mode: run on the provider's shared pieces instead of creating this tenant's own (see `SharedRuntime`). */
  readonly shared?: SharedRuntime;
  /** Action group (resource id) the collector's alerts notify; undefined: the alerts only show in Azure Monitor. */
  readonly alertActionGroupId?: string | undefined;
}

/** Container name of the collector's state in the tenant's own storage account. */
export const STATE_CONTAINER_NAME = "auditfeed-state";

/** Container of a customer's state in the provider's storage account (MSSP mode); customer names are unique per provider. */
export function sharedStateContainerName(customer: string): string {
  return `state-${customer}`;
}

/** Name of the delete lock a tenant stack puts on the provider's environment (MSSP mode). */
export function providerLockName(customer: string): string {
  return `auditfeed-tenant-${customer}`;
}

/**
 * The collector's runtime in the Azure subscription the stack targets: a resource group holding a user-assigned
 * identity, a storage account (shared keys off) for state, a Key Vault (RBAC) for credentials, a Log Analytics
 * workspace, a Container Apps environment, and a scheduled Container Apps Job running `auditfeed once`.
 * The identity gets exactly two roles: blob data on the state container and secret reads on the vault.
 *
 * In MSSP mode (`shared`) the identity, the storage account, the workspace and the environment are the provider's:
 * this stack creates the resource group, the Key Vault (sink secrets), this customer's state container in the
 * provider's account, the job, a delete lock on the provider's environment (see `sharedHosting`), and the alerts and
 * workbook, on the provider's workspace where the job logs.
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
    const shared = args.shared;
    const location = shared?.location ?? args.location;

    const group = new resources.ResourceGroup(`${name}-rg`, { location }, parent);
    const resourceGroupName = group.name;
    // Global names (storage account, vault) are autonamed with a random suffix, so `destroy` then `up` never meets
    // the soft-deleted vault of the previous incarnation.
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
    const hosting =
      shared === undefined
        ? this.dedicatedHosting(name, args, { resourceGroupName, location: args.location, vaultName: vault.name, subscriptionId: client.subscriptionId })
        : this.sharedHosting(name, args.customer, shared);
    const { identity } = hosting;
    const vaultAccess = this.roleAssignment(
      `${name}-vault-secrets-user`,
      vault.id,
      identity.principalId,
      KEY_VAULT_SECRETS_USER_ROLE_ID,
      client.subscriptionId,
    );
    // AcrPull on a private registry, which may sit in another subscription: the role definition is named in its own.
    const registry = args.imageRegistry;
    const imagePull =
      registry === undefined
        ? []
        : [
            this.roleAssignment(
              `${name}-acr-pull`,
              pulumi.output(registry.resourceId),
              identity.principalId,
              ACR_PULL_ROLE_ID,
              pulumi.output(registry.resourceId.split("/")[2] ?? ""),
            ),
          ];

    // Named by the collector's option keys: job-environment.ts turns them into the variables the collector reads.
    const common: JobSetting[] = [
      { option: "cloud", value: args.cloud.name },
      { option: "tenantId", value: args.tenantId },
      { option: "clientId", value: args.app.clientId },
      { option: "publisherIdentifier", value: args.publisherId },
      { option: "contentTypes", value: args.contentTypes.join(",") },
      // Every mode uses the identity for state; the federated mode also exchanges its token for the app's.
      { option: "managedIdentityClientId", value: identity.clientId },
      { option: "state", value: hosting.stateLocation },
      // The account's endpoint as Azure reports it (the blob host differs per cloud), not one derived here.
      { option: "stateBlobEndpoint", value: hosting.stateBlobEndpoint },
    ];
    const sinkContext: SinkInfraContext = {
      name,
      customer: args.customer,
      cloud: args.cloud,
      location,
      resourceGroupName,
      storage: hosting.storage,
      workspaceId: hosting.workspaceId,
      grant: (resourceName, scope, roleGuid) => this.roleAssignment(resourceName, pulumi.output(scope), identity.principalId, roleGuid, client.subscriptionId),
      parent: this,
    };
    const ownInfra = sinkInfraFor(args.sink.kind, (option) => args.sink.settings.some((setting) => setting.option === option));
    const sinkInfra: SinkInfraResult[] = [
      ...(ownInfra === undefined ? [] : [ownInfra.declare(sinkContext)]),
      ...(hasDeadLetter(args.sink.kind) ? [deadLetterInfra(sinkContext)] : []),
    ];
    const wiring = mergeWiring([
      { settings: common, secrets: [], files: [] },
      hosting.credentialWiring,
      sinkWiring(name, args.sink, { resourceGroupName, vaultName: vault.name }, this),
      ...sinkInfra.map((part) => part.wiring),
    ]);

    const job = new app.Job(
      `${args.customer}-job`,
      {
        resourceGroupName,
        location,
        // Container Apps checks the Key Vault references with the identity when the job is created: on the first
        // `up` the job waits until the vault's role assignment is old enough to be in effect (role-propagation.ts).
        environmentId: afterRolesApply(pulumi.output(hosting.environmentId), [vaultAccess]),
        identity: { type: app.ManagedServiceIdentityType.UserAssigned, userAssignedIdentities: [identity.resourceId] },
        configuration: {
          triggerType: app.TriggerType.Schedule,
          scheduleTriggerConfig: { cronExpression: args.schedule, parallelism: 1, replicaCompletionCount: 1 },
          replicaTimeout: args.replicaTimeoutSeconds,
          replicaRetryLimit: 1,
          secrets: wiring.secrets.map((secret) => ({ name: secret.name, keyVaultUrl: secret.keyVaultUrl, identity: identity.resourceId })),
          registries: registry === undefined ? [] : [{ server: registry.server, identity: identity.resourceId }],
        },
        template: {
          containers: [
            {
              name: "collector",
              image: args.image,
              command: ["auditfeed", "once"],
              env: jobEnvironment(wiring.settings).map((variable) => ({ ...variable })),
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
      { parent: this, dependsOn: [...args.grants, ...hosting.readiness, ...sinkInfra.flatMap((part) => part.readiness), vaultAccess, ...imagePull] },
    );

    this.resourceGroupName = resourceGroupName;
    // In MSSP mode the rules and the workbook sit in this stack's resource group and query the provider's workspace,
    // where only this customer's job's lines match (every query filters on the job's name).
    new CollectorMonitoring(
      `${name}-monitoring`,
      { customer: args.customer, resourceGroupName, location, workspaceId: hosting.workspaceId, jobName: job.name, actionGroupId: args.alertActionGroupId },
      { parent: this },
    );
    this.jobName = job.name;
    this.stateLocation = hosting.stateLocation;
    this.identityClientId = pulumi.output(identity.clientId);
    this.vaultName = vault.name;
    this.credentialExpiresAt = hosting.credentialExpiresAt;
    this.registerOutputs({
      resourceGroupName: this.resourceGroupName,
      jobName: this.jobName,
      stateLocation: this.stateLocation,
      identityClientId: this.identityClientId,
      vaultName: this.vaultName,
    });
  }

  /** The tenant's own identity, state account, credential, workspace and environment. */
  private dedicatedHosting(
    name: string,
    args: CollectorRuntimeArgs,
    where: { resourceGroupName: pulumi.Output<string>; location: string; vaultName: pulumi.Output<string>; subscriptionId: pulumi.Output<string> },
  ): Hosting {
    const parent = { parent: this };
    const { resourceGroupName, location } = where;
    const identity = new managedidentity.UserAssignedIdentity(`${name}-identity`, { resourceGroupName, location }, parent);
    // azure-native appends 8 characters: with a customer name of at most 12, "<customer>st" and "<customer>kv" stay
    // within the 24 that storage accounts and vaults allow.
    const account = collectorStorageAccount(`${args.customer}st`, { resourceGroupName, location }, parent);
    const container = new storage.BlobContainer(
      `${name}-state`,
      { resourceGroupName, accountName: account.name, containerName: STATE_CONTAINER_NAME, publicAccess: storage.PublicAccess.None },
      parent,
    );
    const stateAccess = this.roleAssignment(
      `${name}-state-blob-contributor`,
      container.id,
      identity.principalId,
      STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID,
      where.subscriptionId,
    );
    const applicationResourceId = args.app.applicationResourceId;
    if (applicationResourceId === undefined) throw new Error("A dedicated runtime needs the tenant's own app registration; only MSSP mode runs without one.");
    const credential = new AppCredential(
      `${name}-credential`,
      {
        mode: args.credential,
        applicationResourceId,
        tenantId: args.tenantId,
        cloud: args.cloud,
        identity: { principalId: identity.principalId, tenantId: identity.tenantId },
        vault: { resourceGroupName, vaultName: where.vaultName },
        rotation: args.rotation,
        certificateSubject: `auditfeed collector ${args.customer}`,
      },
      parent,
    );

    const workspace = new operationalinsights.Workspace(
      `${name}-logs`,
      { resourceGroupName, location, sku: { name: operationalinsights.WorkspaceSkuNameEnum.PerGB2018 }, retentionInDays: args.logRetentionDays },
      parent,
    );
    const workspaceKeys = operationalinsights.getSharedKeysOutput({ resourceGroupName, workspaceName: workspace.name }, parent);
    // Container Apps names (environment, job) allow 32 characters: "<customer>-env" and "<customer>-job" plus 8.
    const environment = new app.ManagedEnvironment(
      `${args.customer}-env`,
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
    return {
      identity: { resourceId: identity.id, clientId: identity.clientId, principalId: identity.principalId },
      environmentId: environment.id,
      workspaceId: workspace.id,
      stateLocation: pulumi.interpolate`azblob://${account.name}/${STATE_CONTAINER_NAME}`,
      stateBlobEndpoint: account.primaryEndpoints.blob,
      credentialWiring: credential.wiring,
      credentialExpiresAt: credential.expiresAt,
      readiness: [credential.credential, stateAccess],
      storage: { resourceGroupName, accountName: account.name, blobEndpoint: account.primaryEndpoints.blob, shared: false },
    };
  }

  /**
   * MSSP mode: the provider's identity and environment, and this customer's state container in the provider's account
   * (the provider gave its identity blob data rights on the whole account). The lock on the environment names this
   * customer: while it exists, Azure refuses to delete the environment, which the provider stack deletes first.
   */
  private sharedHosting(name: string, customer: string, shared: SharedRuntime): Hosting {
    const parent = { parent: this };
    const containerName = sharedStateContainerName(customer);
    const container = new storage.BlobContainer(
      `${name}-state`,
      { resourceGroupName: shared.resourceGroupName, accountName: shared.stateAccountName, containerName, publicAccess: storage.PublicAccess.None },
      parent,
    );
    const lock = new authorization.ManagementLockByScope(
      `${name}-provider-lock`,
      {
        scope: shared.environmentId,
        lockName: providerLockName(customer),
        level: authorization.LockLevel.CanNotDelete,
        notes: `The auditfeed tenant stack ${shared.stack} runs ${customer}'s collector job in this environment. Destroy that stack before the provider stack.`,
      },
      parent,
    );
    return {
      identity: shared.identity,
      environmentId: shared.environmentId,
      stateLocation: pulumi.interpolate`azblob://${shared.stateAccountName}/${containerName}`,
      stateBlobEndpoint: pulumi.output(shared.stateBlobEndpoint),
      workspaceId: pulumi.output(shared.workspaceId),
      // The provider's app trusts the provider's identity whatever the tenant: no credential exists here.
      credentialWiring: { settings: [{ option: "credential", value: "federated" }], secrets: [], files: [] },
      credentialExpiresAt: undefined,
      readiness: [container, lock],
      storage: { resourceGroupName: shared.resourceGroupName, accountName: shared.stateAccountName, blobEndpoint: shared.stateBlobEndpoint, shared: true },
    };
  }

  private roleAssignment(
    resourceName: string,
    scope: pulumi.Output<string>,
    principalId: pulumi.Input<string>,
    roleGuid: string,
    subscriptionId: pulumi.Output<string>,
  ): authorization.RoleAssignment {
    return new authorization.RoleAssignment(
      resourceName,
      {
        scope,
        principalId,
        // Declaring the type spares a failed first attempt while the new identity replicates.
        principalType: authorization.PrincipalType.ServicePrincipal,
        roleDefinitionId: subscriptionId.apply((subscription) => roleDefinitionId(subscription, roleGuid)),
        roleAssignmentName: pulumi.all([scope, principalId]).apply(([s, principal]) => roleAssignmentName(s, principal, roleGuid)),
      },
      { parent: this },
    );
  }
}

function mergeWiring(parts: readonly JobWiring[]): JobWiring {
  return {
    settings: parts.flatMap((part) => part.settings),
    secrets: parts.flatMap((part) => part.secrets),
    files: parts.flatMap((part) => part.files),
  };
}
