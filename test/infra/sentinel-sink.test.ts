import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks.js";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../collector/src/config/config.ts";
import { DEFAULT_STREAM, SENTINEL_TABLE } from "../../collector/src/sinks/sentinel/config.ts";
import { RowCache } from "../../collector/src/sinks/sentinel/rows.ts";
import { parseStackConfig } from "../../infra/config.ts";
import { SENTINEL_INFRA, STREAM_COLUMNS, TABLE_COLUMNS, TRANSFORM_KQL } from "../../infra/sinks/sentinel.ts";
import { MONITORING_METRICS_PUBLISHER_ROLE_ID } from "../../infra/well-known-ids.ts";
import { jobOfCustomer } from "./fixtures/job-container.ts";
import { containerEnvironment, deployTenantStack } from "./stack-job.ts";
import { installMocks } from "./mocks.ts";

const SUBSCRIPTION_TENANT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const registered = installMocks({ azureTenantId: SUBSCRIPTION_TENANT });
const root = mkdtempSync(join(tmpdir(), "auditfeed-sentinel-infra-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let deployments = 0;

/** A dedicated stack with the sentinel sink, and the inputs of what it registered. */
async function deploy(values: Record<string, string> = {}) {
  const customer = `sentinel${++deployments}`;
  const config = parseStackConfig(
    {
      customer,
      tenantId: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f",
      subscriptionTenantId: SUBSCRIPTION_TENANT,
      credential: "secret",
      sink: "sentinel",
      ...values,
    },
    { secretKeys: new Set() },
  );
  await deployTenantStack(config);
  const ofType = (type: string): MockResourceArgs[] => registered.filter((r) => r.type === type && r.name.startsWith(`${customer}-`));
  const only = (type: string): MockResourceArgs => {
    const found = ofType(type);
    expect(found, type).toHaveLength(1);
    return found[0] as MockResourceArgs;
  };
  return { customer, ofType, only, job: jobOfCustomer(registered, customer) };
}

describe("a stack with the sentinel sink", () => {
  it("should create the table, endpoint and rule in the stack's workspace, and grant the job's identity Monitoring Metrics Publisher on the rule only", async () => {
    const { only, ofType } = await deploy();
    const workspace = only("azure-native:operationalinsights:Workspace");
    const table = only("azure-native:operationalinsights:Table").inputs as Record<string, unknown>;
    expect(table).toMatchObject({ tableName: SENTINEL_TABLE, workspaceName: `${workspace.name}-id`, schema: { name: SENTINEL_TABLE, columns: TABLE_COLUMNS } });
    const endpoint = only("azure-native:monitor:DataCollectionEndpoint");
    const rule = only("azure-native:monitor:DataCollectionRule");
    expect(rule.inputs).toMatchObject({
      dataCollectionEndpointId: `${endpoint.name}-id`,
      streamDeclarations: { [DEFAULT_STREAM]: { columns: STREAM_COLUMNS } },
      destinations: { logAnalytics: [{ name: "workspace", workspaceResourceId: `${workspace.name}-id` }] },
      dataFlows: [{ streams: [DEFAULT_STREAM], destinations: ["workspace"], transformKql: TRANSFORM_KQL, outputStream: DEFAULT_STREAM }],
    });
    const identity = only("azure-native:managedidentity:UserAssignedIdentity");
    const onRule = ofType("azure-native:authorization:RoleAssignment").filter(
      (assignment) => (assignment.inputs as { scope: string }).scope === `${rule.name}-id`,
    );
    expect(onRule.map((assignment) => assignment.inputs as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        principalId: `principal-${identity.name}`,
        roleDefinitionId: expect.stringMatching(new RegExp(`/roleDefinitions/${MONITORING_METRICS_PUBLISHER_ROLE_ID}$`)) as string,
      }),
    ]);
  });

  it("should declare exactly the columns of the rows the collector sends, and a table with those plus the lifted fields", () => {
    const row = new RowCache().row({
      id: "a",
      contentType: "Audit.General",
      creationTime: "2026-11-20T10:00:00.000Z",
      json: '{"Id":"a","Operation":"FileAccessed"}',
    });
    expect(STREAM_COLUMNS.map((column) => column.name)).toEqual(Object.keys(row));
    expect(TABLE_COLUMNS.map((column) => column.name)).toEqual([...Object.keys(row), "Operation", "Workload", "UserId"]);
    expect(TRANSFORM_KQL).toBe(
      "source | extend Operation = tostring(Record.Operation), Workload = tostring(Record.Workload), UserId = tostring(Record.UserId)",
    );
  });

  it.each([
    ["commercial", {}, "https://monitor.azure.com", ".ingest.monitor.azure.com"],
    ["gcchigh", { cloud: "gcchigh", location: "usgovvirginia" }, "https://monitor.azure.us", ".ingest.monitor.azure.us"],
  ])("should give the job (%s) the endpoint, rule and stream the collector accepts", async (_cloud, values, audience, host) => {
    const { customer, only, job } = await deploy(values);
    const endpoint = only("azure-native:monitor:DataCollectionEndpoint");
    const rule = only("azure-native:monitor:DataCollectionRule");
    const env = containerEnvironment(job, mkdtempSync(join(root, `${customer}-`)), () => "stand-in-secret");
    expect(env["AUDITFEED_SINK"]).toBe("sentinel");
    const collector = loadConfig({ argv: [], env, cwd: root });
    expect(env["AUDITFEED_SINK_RULE_ID"]).toMatch(/^dcr-[0-9a-f]{32}$/);
    expect(collector.sink).toMatchObject({ kind: "sentinel", ruleId: env["AUDITFEED_SINK_RULE_ID"], stream: DEFAULT_STREAM, audience });
    expect(rule.inputs).toMatchObject({ location: (values as { location?: string }).location ?? "eastus" });
    const url = (collector.sink as { remote: { url: string } }).remote.url;
    expect(url.startsWith(`https://${endpoint.name}-a1b2.`)).toBe(true);
    expect(url.endsWith(host)).toBe(true);
  });

  it("should refuse the endpoint and stream as settings of the stack's owner when the stack makes the rule", () => {
    expect(() =>
      parseStackConfig(
        { customer: "sentinelx", tenantId: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f", sink: "sentinel", sinkStream: "Custom-Other_CL" },
        { secretKeys: new Set() },
      ),
    ).toThrow("auditfeed:sinkStream is set by the stack for the sentinel sink (the stack creates the data collection endpoint and rule");
  });

  it("should create nothing for the sink when the owner names a rule of their own (sinkRuleId), and pass their settings on", async () => {
    const ruleId = "dcr-0123456789abcdef0123456789abcdef";
    const url = "https://soc-dce-a1b2.westeurope-1.ingest.monitor.azure.com";
    const { ofType, job } = await deploy({ sinkRuleId: ruleId, sinkUrl: url });
    for (const type of ["azure-native:operationalinsights:Table", "azure-native:monitor:DataCollectionEndpoint", "azure-native:monitor:DataCollectionRule"]) {
      expect(ofType(type), type).toEqual([]);
    }
    const env = Object.fromEntries((job.template.containers[0]?.env ?? []).map((variable) => [variable.name, variable.value]));
    expect(env).toMatchObject({ AUDITFEED_SINK: "sentinel", AUDITFEED_SINK_URL: url, AUDITFEED_SINK_RULE_ID: ruleId });
  });

  it("should refuse an MSSP tenant stack, which has no workspace of its own, saying what to do", () => {
    expect(() =>
      SENTINEL_INFRA.declare({
        name: "x",
        customer: "x",
        cloud: parseStackConfig({ customer: "xyz", tenantId: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f" }, { secretKeys: new Set() }).cloud,
        location: "westeurope",
        resourceGroupName: "rg",
        storage: { resourceGroupName: "rg", accountName: "st", blobEndpoint: "https://st.blob.core.windows.net/", shared: true },
        workspaceId: undefined,
        grant: () => {
          throw new Error("no grant expected");
        },
        parent: new pulumi.ComponentResource("test:index:Parent", "parent-for-mssp"),
      }),
    ).toThrow(/an MSSP tenant stack does not have .*: in MSSP mode, point the job at a data collection rule of your own with sinkRuleId and sinkUrl/);
  });
});
