import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { parseStackConfig, shortestIntervalSeconds } from "../../infra/config.ts";

const TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
const OTHER_TENANT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const minimal = { customer: "contoso", tenantId: TENANT };
const ACR = "/subscriptions/0f1e2d3c-4b5a-4697-8877-665544332211/resourceGroups/images/providers/Microsoft.ContainerRegistry/registries/socmirror";

describe("parseStackConfig", () => {
  it("should fill in documented defaults", () => {
    const config = parseStackConfig(minimal);
    expect(config).toMatchObject({
      customer: "contoso",
      customerDisplayName: "contoso",
      cloud: { name: "commercial" },
      location: "eastus",
      credential: "certificate",
      credentialRotationDays: 90,
      globalReader: true,
      graphUserRead: false,
      graphUserDisable: false,
      provisionManagementApiServicePrincipal: false,
      publisherId: TENANT,
      schedule: "*/5 * * * *",
      sink: { kind: "stdout", settings: [] },
    });
    expect(config.contentTypes).toEqual(CONTENT_TYPES);
  });

  it.each([
    ["* * * * *", "300", 60],
    ["0 */6 * * *", "86400", 21_600],
    ["15,45 9-17 * * 1-5", "1800", 1_800],
  ])("should accept schedule %s with replicaTimeoutSeconds %s (shortest interval %i s)", (schedule, replicaTimeoutSeconds, interval) => {
    expect(parseStackConfig({ ...minimal, schedule, replicaTimeoutSeconds })).toMatchObject({ schedule, replicaTimeoutSeconds: Number(replicaTimeoutSeconds) });
    expect(shortestIntervalSeconds(schedule)).toBe(interval);
  });

  it("should accept the example stack for the fictitious customer", () => {
    const file = readFileSync(path.resolve(import.meta.dirname, "../../Pulumi.contoso.yaml"), "utf8");
    const values = Object.fromEntries([...file.matchAll(/^\s+auditfeed:(\w+):\s*"?([^"\n]*)"?\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
    expect(parseStackConfig(values)).toMatchObject({ customer: "contoso", credential: "certificate", sink: { kind: "stdout" }, location: "westeurope" });
  });

  it("should default to a federated credential when the subscription is in the customer tenant", () => {
    expect(parseStackConfig(minimal, { azureNativeTenantId: TENANT.toUpperCase() }).credential).toBe("federated");
    expect(parseStackConfig({ ...minimal, subscriptionTenantId: OTHER_TENANT }).credential).toBe("certificate");
  });

  it("should pick US Government regions and environments for gcchigh and dod", () => {
    const config = parseStackConfig({ ...minimal, cloud: "dod" });
    expect(config.location).toBe("usgovvirginia");
    expect(config.cloud).toMatchObject({ azureadEnvironment: "usgovernmentl5", azureEnvironment: "usgovernment" });
  });

  it("should parse lists, booleans and integers as Pulumi stores them", () => {
    const config = parseStackConfig({
      ...minimal,
      contentTypes: '["Audit.Exchange","DLP.All","Audit.Exchange"]',
      globalReader: "false",
      credentialRotationDays: "30",
      schedule: "0 * * * *",
    });
    expect(config).toMatchObject({ contentTypes: ["Audit.Exchange", "DLP.All"], globalReader: false, credentialRotationDays: 30, schedule: "0 * * * *" });
  });

  it("should pull a public image anonymously and a private ACR image with the identity, from the registry the image names", () => {
    expect(parseStackConfig(minimal).imageRegistry).toBeUndefined();
    expect(parseStackConfig({ ...minimal, image: "socmirror.azurecr.us/auditfeed@sha256:" + "a".repeat(64), imageRegistry: ACR }).imageRegistry).toEqual({
      server: "socmirror.azurecr.us",
      resourceId: ACR,
    });
  });

  it.each([
    [{ tenantId: TENANT }, "auditfeed:customer is required: set it to a short lowercase name such as contoso with `pulumi config set customer <value>`."],
    [
      { customer: "Contoso-Pharma", tenantId: TENANT },
      'auditfeed:customer must be 3 to 12 lowercase letters or digits starting with a letter (it prefixes Azure resource names); got "Contoso-Pharma". Set e.g. `pulumi config set customer contoso`.',
    ],
    [{ customer: "contoso" }, "auditfeed:tenantId is required: set it to the customer's Entra tenant id (a GUID) with `pulumi config set tenantId <value>`."],
    [
      { ...minimal, tenantId: "contoso.onmicrosoft.com" },
      'auditfeed:tenantId must be a GUID such as 00000000-0000-0000-0000-000000000000; got "contoso.onmicrosoft.com".',
    ],
    [{ ...minimal, cloud: "china" }, 'auditfeed:cloud must be one of commercial, gcc, gcchigh, dod; got "china".'],
    [{ ...minimal, credential: "password" }, 'auditfeed:credential must be one of federated, certificate, secret; got "password".'],
    [
      { ...minimal, credential: "federated", subscriptionTenantId: OTHER_TENANT },
      `auditfeed:credential federated needs the collector's managed identity and the app registration in the same Entra tenant, but the collector's Azure subscription is in tenant ${OTHER_TENANT}, not the customer tenant ${TENANT}. Choose credential certificate (or secret), or run the collector in a subscription of the customer tenant.`,
    ],
    [
      { ...minimal, credential: "federated" },
      "auditfeed:credential federated needs the collector's managed identity and the app registration in the same Entra tenant, but the tenant of the collector's Azure subscription is unknown (set auditfeed:subscriptionTenantId or azure-native:tenantId). Choose credential certificate (or secret), or run the collector in a subscription of the customer tenant.",
    ],
    [{ ...minimal, credentialRotationDays: "3" }, 'auditfeed:credentialRotationDays must be a whole number from 7 to 365; got "3".'],
    [{ ...minimal, globalReader: "yes" }, 'auditfeed:globalReader must be true or false; got "yes".'],
    [
      { ...minimal, contentTypes: '["Audit.Teams"]' },
      "auditfeed:contentTypes has unknown content types Audit.Teams; choose from Audit.AzureActiveDirectory, Audit.Exchange, Audit.SharePoint, Audit.General, DLP.All.",
    ],
    [
      { ...minimal, contentTypes: "Audit.Exchange" },
      "auditfeed:contentTypes must be a non-empty list of content types; set it with `pulumi config set --path 'contentTypes[0]' Audit.Exchange`.",
    ],
    [
      { ...minimal, schedule: "every 5 minutes" },
      'auditfeed:schedule must be a five-field cron expression (minute hour day month weekday, UTC) such as "*/5 * * * *"; got "every 5 minutes".',
    ],
    // Issue 7, item 13: the example stack's `sink: http` was accepted here and refused by the collector. Issue 9, item 6:
    // the sink's options are checked by the collector's own reader of that sink.
    [
      { ...minimal, sink: "http" },
      "The http sink's settings are invalid:\n  - auditfeed:sinkPreset is missing: which HTTP intake receives the records. Set it with `pulumi config set sinkPreset <value>`.\n  - auditfeed:sinkUrl is missing:",
    ],
    [
      { ...minimal, sinkUrl: "https://siem.example" },
      "The stdout sink's settings are invalid:\n  - auditfeed:sinkUrl configures the http, syslog, sentinel or azblob sink, but auditfeed:sink is stdout: remove it with `pulumi config rm sinkUrl`, or set auditfeed:sink to http, syslog, sentinel or azblob.",
    ],
    [{ ...minimal, sinkDir: "/var/lib/auditfeed" }, "auditfeed:sinkDir is not a setting of this stack"],
    [{ ...minimal, image: "auditfeed:latest" }, "auditfeed:image must be a full image reference such as ghcr.io/auditfeed/auditfeed:0.1.0"],
    [
      { ...minimal, image: "socmirror.azurecr.io/auditfeed:0.1.0" },
      "auditfeed:image is in the Azure Container Registry socmirror.azurecr.io: set auditfeed:imageRegistry to its resource id (az acr show --name socmirror --query id -o tsv)",
    ],
    [
      { ...minimal, image: "socmirror.azurecr.io/auditfeed:0.1.0", imageRegistry: "socmirror" },
      "auditfeed:imageRegistry must be an Azure Container Registry resource id",
    ],
    [
      { ...minimal, image: "other.azurecr.io/auditfeed:0.1.0", imageRegistry: ACR },
      "auditfeed:imageRegistry is the registry socmirror, but auditfeed:image is pulled from other.azurecr.io: point both at the same registry.",
    ],
    [
      { ...minimal, schedule: "99 99 99 99 99" },
      'auditfeed:schedule must be a five-field cron expression (minute hour day month weekday, UTC) such as "*/5 * * * *"; got "99 99 99 99 99" (',
    ],
    [
      { ...minimal, schedule: "*/5 * * * * *" },
      'auditfeed:schedule must be a five-field cron expression (minute hour day month weekday, UTC) such as "*/5 * * * *"; got "*/5 * * * * *".',
    ],
    [
      { ...minimal, schedule: "* * * * *" },
      'auditfeed:replicaTimeoutSeconds (1800) is more than 6 times the shortest interval of auditfeed:schedule "* * * * *" (60 s): the runs started while one run lasts that long only find the state held and exit 4. Set replicaTimeoutSeconds to at most 360, or space the schedule out.',
    ],
    [{ ...minimal, tenantID: TENANT }, "auditfeed:tenantID is not a setting of this stack; remove it (known keys:"],
  ])("should refuse %j", (values, message) => {
    let caught: unknown;
    try {
      parseStackConfig(values);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: "AuditfeedError", code: "AF_ERR_INFRA_CONFIG" });
    expect((caught as Error).message.startsWith(message)).toBe(true);
  });
});
