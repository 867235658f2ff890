import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it } from "vitest";
import { CLOUDS as CLOUD_TABLE, type CloudName } from "../../collector/src/config/clouds.ts";
import { loadConfig } from "../../collector/src/config/config.ts";
import { OPTIONS } from "../../collector/src/config/options.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { createClientCertificate } from "../../emulator/src/tls.ts";
import { parseStackConfig, type CredentialMode } from "../../infra/config.ts";
import { jobEnvironment } from "../../infra/job-environment.ts";
import { declareTenantStack } from "../../infra/tenant-stack.ts";
import { installMocks, mockGuid, valueOf } from "./mocks.ts";

// Issue 7, item 13 (and issue 8, section 6): the stack passed AUDITFEED_SINK_URL and AUDITFEED_SINK_SECRET, which
// nothing reads, and a sink the collector refuses. The job's environment now comes from the collector's options table;
// this proves the collector's loadConfig takes exactly what the mocked stack gives the job.

const CUSTOMER_TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
const MSSP_TENANT = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const PROVIDER_APP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const PROVIDER_IDENTITY = mockGuid("provider-identity");
const CLOUDS: CloudName[] = ["commercial", "gcc", "gcchigh", "dod"];

/** MSSP mode: the outputs of a provider stack per cloud, as infra/provider exports them (identity ids are GUIDs in Azure). */
function providerOutputs(cloud: CloudName): Record<string, unknown> {
  return {
    tenantId: MSSP_TENANT,
    cloud,
    clientId: PROVIDER_APP,
    declaredRoles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
    federatedCredential: {
      issuer: `https://${CLOUD_TABLE[cloud].authorityHost}/${MSSP_TENANT}/v2.0`,
      subject: "provider-principal",
      audience: "api://AzureADTokenExchange",
    },
    identityResourceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared",
    identityClientId: PROVIDER_IDENTITY,
    identityPrincipalId: "provider-principal",
    location: "westeurope",
    resourceGroupName: "fabrikam-mssp-rg1234",
    environmentId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.App/managedEnvironments/shared",
    stateAccountName: "fabrikamstate1234",
    stateBlobEndpoint: `https://fabrikamstate1234.blob.${CLOUD_TABLE[cloud].storageSuffix}/`,
  };
}

const registered = installMocks({
  azureTenantId: CUSTOMER_TENANT,
  providerOutputs: Object.fromEntries(CLOUDS.map((cloud) => [`fabrikam/auditfeed-provider/${cloud}`, providerOutputs(cloud)])),
});
const root = mkdtempSync(join(tmpdir(), "auditfeed-job-env-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** What Key Vault would hold for each job secret: stand-ins the collector's loader must accept. */
// The collector checks the certificate file with its configuration, so the stand-in is a real PEM certificate and key.
const CERTIFICATE = createClientCertificate("auditfeed-job-environment-test");
const SECRET_VALUES: Record<string, string> = {
  "client-secret": "stand-in-client-secret",
  "client-certificate": `${CERTIFICATE.certPem}${CERTIFICATE.keyPem}`,
};

interface JobInputs {
  readonly configuration: { readonly secrets?: readonly { readonly name: string }[] };
  readonly template: {
    readonly containers: readonly {
      readonly env: readonly { readonly name: string; readonly value?: string; readonly secretRef?: string }[];
      readonly volumeMounts: readonly { readonly volumeName: string; readonly mountPath: string }[];
    }[];
    readonly volumes: readonly { readonly name: string; readonly secrets: readonly { readonly secretRef: string; readonly path: string }[] }[];
  };
}

let deployments = 0;

/** The Job resource's inputs of a mocked stack, as Container Apps would receive them. */
async function jobOf(cloud: CloudName, mode: Mode): Promise<{ job: JobInputs; customer: string }> {
  const customer = `env${++deployments}`;
  const modeSettings =
    mode === "mssp" ? { providerStack: `fabrikam/auditfeed-provider/${cloud}` } : { credential: mode, subscriptionTenantId: CUSTOMER_TENANT };
  const config = parseStackConfig({ customer, tenantId: CUSTOMER_TENANT, cloud, ...modeSettings });
  const outputs = declareTenantStack(config, {
    stack: "test",
    now: new Date("2026-11-22T10:00:00Z"),
    azureSubscriptionId: undefined,
    azureTenantId: undefined,
  });
  await valueOf(pulumi.all([outputs.jobName, outputs.stateLocation]));
  const jobs = registered.filter((r) => r.type === "azure-native:app:Job" && r.name.startsWith(`${customer}-`));
  expect(jobs).toHaveLength(1);
  return { job: jobs[0]?.inputs as JobInputs, customer };
}

/**
 * The process environment the container gets, as Container Apps builds it: plain values as given, secret references
 * resolved from Key Vault, and secret volumes projected as files (here under a temporary folder instead of the mount path).
 */
function containerEnvironment(job: JobInputs, folder: string): Record<string, string> {
  const [container] = job.template.containers;
  if (container === undefined) throw new Error("the job has no container");
  const declared = new Set((job.configuration.secrets ?? []).map((secret) => secret.name));
  const mounts = container.volumeMounts.map((mount) => {
    const volume = job.template.volumes.find((candidate) => candidate.name === mount.volumeName);
    const projected = join(folder, mount.volumeName);
    mkdirSync(projected, { recursive: true });
    for (const file of volume?.secrets ?? []) {
      expect(declared, `volume file ${file.path}`).toContain(file.secretRef);
      writeFileSync(join(projected, file.path), SECRET_VALUES[file.secretRef] ?? "");
    }
    return { from: mount.mountPath, to: projected };
  });
  const env: Record<string, string> = {};
  for (const variable of container.env) {
    if (variable.secretRef !== undefined) {
      expect(declared, `secret of ${variable.name}`).toContain(variable.secretRef);
      env[variable.name] = SECRET_VALUES[variable.secretRef] ?? "";
    } else {
      const mount = mounts.find(({ from }) => variable.value?.startsWith(`${from}/`));
      env[variable.name] = mount === undefined ? String(variable.value) : mount.to + String(variable.value).slice(mount.from.length);
    }
  }
  return env;
}

function withoutVariable(env: Record<string, string>, name: string): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => key !== name));
}

/** What the collector makes of an environment: its configuration, or the text of its refusal. */
function outcome(env: Record<string, string>, cwd: string): string {
  try {
    return JSON.stringify(loadConfig({ argv: [], env, cwd }));
  } catch (error) {
    return (error as Error).message;
  }
}

/** Each credential mode of a dedicated stack, and MSSP mode (the provider's app and identity, federated across tenants). */
type Mode = CredentialMode | "mssp";
const MODES: Mode[] = ["federated", "certificate", "secret", "mssp"];
const CASES = CLOUDS.flatMap((cloud) => MODES.map((mode) => ({ cloud, mode })));

describe.each(CASES)("the collector job's environment, $mode credential in $cloud", ({ cloud, mode }) => {
  it("should hold only variables the collector reads, and be accepted by it as is", async () => {
    const { job, customer } = await jobOf(cloud, mode);
    const folder = mkdtempSync(join(root, `${customer}-`));
    const env = containerEnvironment(job, folder);

    const known = new Set(OPTIONS.map((option) => option.env));
    for (const name of Object.keys(env)) expect(known, name).toContain(name);

    const config = loadConfig({ argv: [], env, cwd: folder });
    const mssp = mode === "mssp";
    const identity = mssp ? PROVIDER_IDENTITY : mockGuid(`mi-client-${customer}-collector-identity`);
    expect(config).toMatchObject({
      cloud,
      tenantId: CUSTOMER_TENANT,
      clientId: mssp ? PROVIDER_APP : mockGuid(`client-id-${customer}-access-app`),
      publisherIdentifier: CUSTOMER_TENANT,
      contentTypes: CONTENT_TYPES,
      sink: { kind: "stdout" },
      state: mssp
        ? {
            kind: "azblob",
            account: "fabrikamstate1234",
            container: `state-${customer}`,
            prefix: "",
            accountUrl: `https://fabrikamstate1234.blob.${CLOUD_TABLE[cloud].storageSuffix}`,
            managedIdentityClientId: identity,
          }
        : {
            kind: "azblob",
            account: `${customer}stabc123`,
            container: "auditfeed-state",
            prefix: "",
            accountUrl: `https://${customer}stabc123.blob.core.windows.net`,
            managedIdentityClientId: identity,
          },
    });
    expect(config.state).not.toHaveProperty("accountKey");
    if (mode === "secret") expect(config.credential).toEqual({ kind: "secret", clientSecret: SECRET_VALUES["client-secret"] });
    if (mode === "certificate") expect(config.credential).toEqual({ kind: "certificate", certificatePath: join(folder, "secrets", "client-certificate.pem") });
    if (mode === "federated" || mssp) expect(config.credential).toEqual({ kind: "federated", managedIdentityClientId: identity });

    // A variable that nothing reads changes nothing when it is removed or holds nonsense.
    const base = outcome(env, folder);
    for (const name of Object.keys(env)) {
      const read = outcome(withoutVariable(env, name), folder) !== base || outcome({ ...env, [name]: "\u0001nonsense" }, folder) !== base;
      expect(read, `${name} is read by the collector`).toBe(true);
    }
  });
});

describe("jobEnvironment", () => {
  it("should name each variable after the collector's options table", () => {
    expect(
      jobEnvironment([
        { option: "tenantId", value: CUSTOMER_TENANT },
        { option: "clientSecret", secretRef: "client-secret" },
      ]),
    ).toEqual([
      { name: "AUDITFEED_TENANT_ID", value: CUSTOMER_TENANT },
      { name: "AUDITFEED_CLIENT_SECRET", secretRef: "client-secret" },
    ]);
  });

  it("should refuse an option set twice, and a secret option given as a plain value", () => {
    expect(() =>
      jobEnvironment([
        { option: "sink", value: "stdout" },
        { option: "sink", value: "file" },
      ]),
    ).toThrow("The collector job sets the option sink twice.");
    expect(() => jobEnvironment([{ option: "clientSecret", value: "plain" }])).toThrow(
      "The collector option clientSecret is a secret: pass it to the job as a Key Vault reference, not a value.",
    );
  });
});
