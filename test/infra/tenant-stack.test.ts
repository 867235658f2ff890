import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { CLOUDS } from "../../collector/src/config/clouds.ts";
import type { CloudName } from "../../collector/src/config/clouds.ts";
import { parseStackConfig } from "../../infra/config.ts";
import type { CredentialMode } from "../../infra/config.ts";
import { declareTenantStack } from "../../infra/tenant-stack.ts";
import type { TenantStackOutputs } from "../../infra/tenant-stack.ts";
import { pollUntil } from "../e2e/harness.ts";
import { expectConsentGraph } from "./consent-probe.ts";
import {
  ACTIVITY_FEED_READ,
  ACTIVITY_FEED_READ_DLP,
  DEPLOYER_OBJECT_ID,
  GRAPH_SP_OBJECT_ID,
  installMocks,
  mockGuid,
  OFFICE365_SP_OBJECT_ID,
  SECRET_MATERIAL,
  SUBSCRIPTION_ID,
  USER_ENABLE_DISABLE_ACCOUNT_ALL,
  USER_READ_ALL,
  valueOf,
} from "./mocks.ts";

const CUSTOMER_TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
const GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451";

// Every managed identity lands in the customer tenant here, as federated mode requires.
const registered = installMocks({ azureTenantId: CUSTOMER_TENANT });

interface Captured {
  readonly type: string;
  readonly name: string;
  readonly resource: pulumi.Resource;
  readonly props: Record<string, unknown>;
  readonly opts: pulumi.CustomResourceOptions;
}

let deployments = 0;

/** Declares a stack with its own customer name (so URNs never collide) and captures every resource's args. */
async function deploy(values: Record<string, string>): Promise<{ captured: Captured[]; outputs: TenantStackOutputs; customer: string }> {
  const customer = `cust${++deployments}`;
  const config = parseStackConfig({ customer, tenantId: CUSTOMER_TENANT, ...values });
  const captured: Captured[] = [];
  const outputs = declareTenantStack(
    config,
    {
      stack: "test",
      now: new Date("2026-11-22T10:00:00Z"),
      azureSubscriptionId: undefined,
      azureTenantId: undefined,
    },
    {
      transformations: [
        (args) => {
          captured.push({ type: args.type, name: args.name, resource: args.resource, props: args.props, opts: args.opts });
          return undefined;
        },
      ],
    },
  );
  await valueOf(pulumi.all([outputs.jobName, outputs.stateLocation, outputs.servicePrincipalObjectId]));
  return { captured, outputs, customer };
}

function ofType(captured: readonly Captured[], type: string): Captured[] {
  return captured.filter((c) => c.type === type);
}

function one(captured: readonly Captured[], type: string): Captured {
  const found = ofType(captured, type);
  expect(found, type).toHaveLength(1);
  return found[0] as Captured;
}

function inputsOf(customer: string, type: string): Record<string, unknown>[] {
  return registered.filter((r) => r.type === type && r.name.startsWith(customer)).map((r) => r.inputs as Record<string, unknown>);
}

const COMMON_TYPES = [
  "auditfeed:index:AppCredential",
  "auditfeed:index:CollectorMonitoring",
  "auditfeed:index:CollectorRuntime",
  "auditfeed:index:TenantAccess",
  "azuread:index/appRoleAssignment:AppRoleAssignment",
  "azuread:index/appRoleAssignment:AppRoleAssignment",
  "azuread:index/application:Application",
  "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
  "azuread:index/servicePrincipal:ServicePrincipal",
  "azure-native:app:Job",
  "azure-native:app:ManagedEnvironment",
  "azure-native:applicationinsights:Workbook",
  "azure-native:authorization:RoleAssignment",
  "azure-native:authorization:RoleAssignment",
  "azure-native:keyvault:Vault",
  "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:monitor:ScheduledQueryRule",
  "azure-native:monitor:ScheduledQueryRule",
  "azure-native:monitor:ScheduledQueryRule",
  "azure-native:operationalinsights:Workspace",
  "azure-native:resources:ResourceGroup",
  "azure-native:storage:BlobContainer",
  "azure-native:storage:StorageAccount",
];
const CREDENTIAL_TYPES: Record<CredentialMode, string[]> = {
  federated: ["azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"],
  certificate: [
    "azuread:index/applicationCertificate:ApplicationCertificate",
    "azure-native:keyvault:Secret",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
  ],
  secret: ["azuread:index/applicationPassword:ApplicationPassword", "azure-native:keyvault:Secret"],
};

const MODES: CredentialMode[] = ["federated", "certificate", "secret"];
const CLOUD_NAMES: CloudName[] = ["commercial", "gcc", "gcchigh", "dod"];
const CASES = CLOUD_NAMES.flatMap((cloud) => MODES.map((mode) => ({ cloud, mode })));

describe.each(CASES)("tenant stack, $mode credential in $cloud", ({ cloud, mode }) => {
  const values = { cloud, credential: mode, subscriptionTenantId: CUSTOMER_TENANT };

  it("should declare exactly the expected resource graph", async () => {
    const { captured } = await deploy(values);
    expect(captured.map((c) => c.type).sort()).toEqual([...COMMON_TYPES, ...CREDENTIAL_TYPES[mode]].sort());
  });

  it("should point both providers at the cloud and the customer tenant", async () => {
    const { customer } = await deploy(values);
    const [entra] = inputsOf(customer, "pulumi:providers:azuread");
    const [azure] = inputsOf(customer, "pulumi:providers:azure-native");
    expect(entra).toMatchObject({ tenantId: CUSTOMER_TENANT, environment: CLOUDS[cloud].azureadEnvironment });
    expect(azure).toMatchObject({ environment: CLOUDS[cloud].azureEnvironment });
  });

  it("should consent to ActivityFeed.Read and ActivityFeed.ReadDlp by the ids resolved by name, from our SP to the API's", async () => {
    const { customer } = await deploy(values);
    const [servicePrincipal] = registered.filter((r) => r.type === "azuread:index/servicePrincipal:ServicePrincipal" && r.name === `${customer}-access-sp`);
    expect(servicePrincipal).toBeDefined();
    const consents = inputsOf(customer, "azuread:index/appRoleAssignment:AppRoleAssignment");
    expect(consents.map((c) => c.appRoleId).sort()).toEqual([ACTIVITY_FEED_READ_DLP, ACTIVITY_FEED_READ].sort());
    for (const consent of consents) {
      expect(consent.principalObjectId).toBe(`sp-object-id-${customer}-access-sp`);
      expect(consent.resourceObjectId).toBe(OFFICE365_SP_OBJECT_ID);
    }
    const [application] = inputsOf(customer, "azuread:index/application:Application");
    expect(application).toMatchObject({
      signInAudience: "AzureADMyOrg",
      owners: [DEPLOYER_OBJECT_ID],
      requiredResourceAccesses: [
        {
          resourceAppId: "c5393580-f805-4401-95e8-94b7a6ef2fc2",
          resourceAccesses: [
            { id: ACTIVITY_FEED_READ, type: "Role" },
            { id: ACTIVITY_FEED_READ_DLP, type: "Role" },
          ],
        },
      ],
    });
    expect(application?.web).toBeUndefined();
  });

  it("should assign Global Reader by its role template id", async () => {
    const { customer } = await deploy(values);
    const [assignment] = inputsOf(customer, "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment");
    expect(assignment).toEqual({ roleId: GLOBAL_READER, principalObjectId: `sp-object-id-${customer}-access-sp` });
  });

  it("should create the job only after consent, the directory role, the credential and its data-plane roles", async () => {
    const { captured } = await deploy(values);
    const job = one(captured, "azure-native:app:Job");
    const dependsOn = job.opts.dependsOn as pulumi.Resource[];
    const mustWaitFor = [
      ...ofType(captured, "azuread:index/appRoleAssignment:AppRoleAssignment"),
      one(captured, "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment"),
      ...ofType(captured, "azure-native:authorization:RoleAssignment"),
      ...ofType(captured, CREDENTIAL_TYPES[mode][0] as string),
    ];
    expect(mustWaitFor).toHaveLength(6);
    for (const resource of mustWaitFor) expect(dependsOn, resource.name).toContain(resource.resource);
  });

  it("should run `auditfeed once` on schedule with the collector's environment", async () => {
    const { customer } = await deploy(values);
    const [job] = inputsOf(customer, "azure-native:app:Job");
    const configuration = job?.configuration as Record<string, unknown>;
    expect(configuration).toMatchObject({ triggerType: "Schedule", scheduleTriggerConfig: { cronExpression: "*/5 * * * *", parallelism: 1 } });
    const container = (job?.template as { containers: Record<string, unknown>[] }).containers[0];
    expect(container?.command).toEqual(["auditfeed", "once"]);
    const env = Object.fromEntries(
      (container?.env as { name: string; value?: string; secretRef?: string }[]).map((e) => [e.name, e.value ?? `secretRef:${e.secretRef}`]),
    );
    expect(env).toMatchObject({
      AUDITFEED_CLOUD: cloud,
      AUDITFEED_TENANT_ID: CUSTOMER_TENANT,
      AUDITFEED_CLIENT_ID: mockGuid(`client-id-${customer}-access-app`),
      AUDITFEED_PUBLISHER_ID: CUSTOMER_TENANT,
      AUDITFEED_CONTENT_TYPES: "Audit.AzureActiveDirectory,Audit.Exchange,Audit.SharePoint,Audit.General,DLP.All",
      AUDITFEED_CREDENTIAL: mode,
      AUDITFEED_STATE: `azblob://${customer}stabc123/auditfeed-state`,
      AUDITFEED_STATE_BLOB_ENDPOINT: `https://${customer}stabc123.blob.core.windows.net/`,
      AUDITFEED_MANAGED_IDENTITY_CLIENT_ID: mockGuid(`mi-client-${customer}-collector-identity`),
      AUDITFEED_SINK: "stdout",
    });
    const secrets = (configuration.secrets as { name: string; keyVaultUrl: string; identity: string }[]) ?? [];
    if (mode === "secret") {
      expect(env.AUDITFEED_CLIENT_SECRET).toBe("secretRef:client-secret");
      expect(secrets).toEqual([
        { name: "client-secret", keyVaultUrl: "https://vault.vault.azure.net/secrets/client-secret", identity: `${customer}-collector-identity-id` },
      ]);
    } else if (mode === "certificate") {
      expect(env.AUDITFEED_CERTIFICATE_PATH).toBe("/mnt/auditfeed-secrets/client-certificate.pem");
      expect(secrets.map((s) => s.name)).toEqual(["client-certificate"]);
      expect(job?.template).toMatchObject({
        volumes: [{ storageType: "Secret", secrets: [{ secretRef: "client-certificate", path: "client-certificate.pem" }] }],
      });
    } else {
      expect(secrets).toEqual([]);
      expect(env.AUDITFEED_CLIENT_SECRET).toBeUndefined();
    }
  });

  it("should keep every credential value secret and out of the outputs", async () => {
    const { captured, outputs } = await deploy(values);
    for (const secret of ofType(captured, "azure-native:keyvault:Secret")) {
      const value = (secret.props.properties as { value: pulumi.Output<string> }).value;
      expect(await pulumi.isSecret(value), secret.name).toBe(true);
    }
    const resolved = JSON.stringify(
      await valueOf(pulumi.all(Object.values(outputs).map((output) => (pulumi.Output.isInstance(output) ? output : pulumi.output(output))))),
    );
    for (const material of SECRET_MATERIAL) expect(resolved).not.toContain(material);
  });
});

describe("tenant stack, least privilege and options", () => {
  it("should alert on failing runs, a stuck blob and the horizon through the configured action group, and chart them in a workbook", async () => {
    const actionGroup = "/subscriptions/0d6a9c1e-5b2f-4a3d-8e7c-1f2a3b4c5d6e/resourceGroups/soc/providers/microsoft.insights/actionGroups/soc-oncall";
    const { customer } = await deploy({ credential: "secret", alertActionGroupId: actionGroup });
    // The rules and the workbook register once the job's name is known, after the outputs `deploy` waits for.
    const registeredAll = (): boolean =>
      inputsOf(customer, "azure-native:monitor:ScheduledQueryRule").length === 3 &&
      inputsOf(customer, "azure-native:applicationinsights:Workbook").length === 1;
    expect(await pollUntil(registeredAll, 10_000)).toBe(true);
    const rules = inputsOf(customer, "azure-native:monitor:ScheduledQueryRule");
    expect(rules.map((rule) => rule.severity).sort()).toEqual([0, 1, 2]);
    for (const rule of rules) {
      expect(rule).toMatchObject({ kind: "LogAlert", enabled: true, scopes: [`${customer}-collector-logs-id`], actions: { actionGroups: [actionGroup] } });
      const [condition] = (rule.criteria as { allOf: Array<{ query: string }> }).allOf;
      expect(condition?.query).toContain(`ContainerJobName_s == "${customer}-job`);
    }
    const [workbook] = inputsOf(customer, "azure-native:applicationinsights:Workbook");
    expect(workbook).toMatchObject({ kind: "shared", category: "workbook", sourceId: `${customer}-collector-logs-id` });
    const charts = (JSON.parse(workbook?.serializedData as string) as { items: Array<{ content: { title?: string } }> }).items.map(
      (item) => item.content.title,
    );
    expect(charts).toEqual([
      undefined,
      "Records delivered per content type",
      expect.stringContaining("Lag"),
      expect.stringContaining("7-day horizon"),
      expect.stringContaining("Quarantined blobs"),
    ]);
  });

  it("should refuse an action group that is not a resource id", () => {
    expect(() => parseStackConfig({ customer: "cust", tenantId: CUSTOMER_TENANT, credential: "secret", alertActionGroupId: "soc-oncall" })).toThrow(
      /auditfeed:alertActionGroupId is "soc-oncall": give the resource id of an Azure Monitor action group/,
    );
  });

  it("should grant the managed identity only blob data on the state container and secret reads on the vault", async () => {
    const { customer } = await deploy({ credential: "secret" });
    const assignments = inputsOf(customer, "azure-native:authorization:RoleAssignment");
    expect(assignments.map((a) => [a.scope, a.roleDefinitionId, a.principalType]).sort()).toEqual([
      [
        `${customer}-collector-state-id`,
        `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
        "ServicePrincipal",
      ],
      [
        `${customer}kv-id`,
        `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/4633458b-17de-408a-b874-0445c86b69e6`,
        "ServicePrincipal",
      ],
    ]);
    for (const assignment of assignments)
      expect(assignment.roleAssignmentName).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [account] = inputsOf(customer, "azure-native:storage:StorageAccount");
    expect(account).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
    const [vault] = inputsOf(customer, "azure-native:keyvault:Vault");
    expect(vault).toMatchObject({ properties: { enableRbacAuthorization: true, tenantId: CUSTOMER_TENANT } });
  });

  it("should pull a public image with no registry credential, and a private ACR image with the identity granted AcrPull", async () => {
    const { customer } = await deploy({});
    const [publicJob] = inputsOf(customer, "azure-native:app:Job");
    expect((publicJob?.configuration as { registries: unknown[] }).registries).toEqual([]);

    const registry = `/subscriptions/0f1e2d3c-4b5a-4697-8877-665544332211/resourceGroups/images/providers/Microsoft.ContainerRegistry/registries/socmirror`;
    const mirrored = await deploy({ image: "socmirror.azurecr.io/auditfeed:0.1.0", imageRegistry: registry });
    const [job] = inputsOf(mirrored.customer, "azure-native:app:Job");
    expect((job?.configuration as { registries: unknown[] }).registries).toEqual([
      { server: "socmirror.azurecr.io", identity: `${mirrored.customer}-collector-identity-id` },
    ]);
    expect(JSON.stringify(job?.configuration)).not.toMatch(/password/i);
    const pull = inputsOf(mirrored.customer, "azure-native:authorization:RoleAssignment").find((a) => a.scope === registry);
    expect(pull).toMatchObject({
      roleDefinitionId:
        "/subscriptions/0f1e2d3c-4b5a-4697-8877-665544332211/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d",
      principalType: "ServicePrincipal",
      principalId: `principal-${mirrored.customer}-collector-identity`,
    });
    const jobResource = one(mirrored.captured, "azure-native:app:Job");
    const acrPull = mirrored.captured.find((c) => c.name === `${mirrored.customer}-collector-acr-pull`);
    expect(job?.template).toMatchObject({ containers: [{ image: "socmirror.azurecr.io/auditfeed:0.1.0" }] });
    expect(jobResource.opts.dependsOn as pulumi.Resource[]).toContain(acrPull?.resource);
  });

  it("should leave room for the 8 characters azure-native appends, for the longest customer name the config accepts", async () => {
    const longest = "abcdefghijkl";
    expect(() => parseStackConfig({ customer: `${longest}m`, tenantId: CUSTOMER_TENANT })).toThrow(/3 to 12 lowercase letters/);
    await deploy({ customer: longest });
    // Azure's limits: storage accounts and vaults 24 (letters and digits only for accounts), Container Apps jobs and environments 32.
    const limits: Record<string, number> = {
      "azure-native:storage:StorageAccount": 24,
      "azure-native:keyvault:Vault": 24,
      "azure-native:app:Job": 32,
      "azure-native:app:ManagedEnvironment": 32,
    };
    for (const [type, limit] of Object.entries(limits)) {
      const names = registered.filter((resource) => resource.type === type && resource.name.startsWith(longest)).map((resource) => resource.name);
      expect(names, type).toHaveLength(1);
      for (const name of names) expect(name.length + 8, `${type} ${name}`).toBeLessThanOrEqual(limit);
    }
    const [account] = registered.filter((resource) => resource.type === "azure-native:storage:StorageAccount" && resource.name.startsWith(longest));
    expect(account?.name).toMatch(/^[a-z0-9]+$/);
  });

  it("should leave Global Reader out when globalReader is false", async () => {
    const { customer, outputs } = await deploy({ globalReader: "false" });
    expect(inputsOf(customer, "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment")).toEqual([]);
    expect(outputs.grantedRoles).toEqual(["Office 365 Management APIs: ActivityFeed.Read", "Office 365 Management APIs: ActivityFeed.ReadDlp"]);
  });

  it("should consent to the optional Graph roles by name against the Graph service principal", async () => {
    const { customer } = await deploy({ graphUserRead: "true", graphUserDisable: "true" });
    const graph = inputsOf(customer, "azuread:index/appRoleAssignment:AppRoleAssignment").filter((c) => c.resourceObjectId === GRAPH_SP_OBJECT_ID);
    expect(graph.map((c) => c.appRoleId)).toEqual([USER_READ_ALL, USER_ENABLE_DISABLE_ACCOUNT_ALL]);
  });

  it("should keep the independent probe of the consent graph true: grants from the app's service principal to Microsoft's, Microsoft's only read", async () => {
    const { customer } = await deploy({ graphUserRead: "true", graphUserDisable: "true" });
    expectConsentGraph(registered, customer, {
      clientId: mockGuid(`client-id-${customer}-access-app`),
      graphRoles: ["User.Read.All", "User.EnableDisableAccount.All"],
    });
  });

  it("should only read Microsoft's service principal unless told to provision it, and then never delete it", async () => {
    const read = await deploy({});
    expect(ofType(read.captured, "azuread:index/servicePrincipal:ServicePrincipal").map((c) => c.name)).toEqual([`${read.customer}-access-sp`]);
    const provisioned = await deploy({ provisionManagementApiServicePrincipal: "true" });
    const microsoft = ofType(provisioned.captured, "azuread:index/servicePrincipal:ServicePrincipal").find(
      (c) => c.props.clientId === "c5393580-f805-4401-95e8-94b7a6ef2fc2",
    );
    expect(microsoft?.opts.retainOnDelete).toBe(true);
    expect(microsoft?.props.useExisting).toBe(true);
  });

  it("should make a secret credential expire two rotation periods after the period began", async () => {
    const { customer } = await deploy({ credential: "secret", credentialRotationDays: "30" });
    const [password] = inputsOf(customer, "azuread:index/applicationPassword:ApplicationPassword");
    // 2026-11-22 is day 20779 since the epoch, in the 30-day period that began on day 20760 (2026-11-03).
    expect(password).toMatchObject({ displayName: "auditfeed collector, from 2026-11-03", endDate: "2027-01-02T00:00:00Z" });
  });
});
