import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights/index.js";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_STREAM, SENTINEL_TABLE } from "../../collector/src/sinks/sentinel/config.ts";
import { MONITORING_METRICS_PUBLISHER_ROLE_ID } from "../well-known-ids.ts";
import type { SinkInfra, SinkInfraContext, SinkInfraResult } from "./sink-infra.ts";

/** The rule's only destination: the workspace that holds the table. */
const DESTINATION = "workspace";

/** The columns the collector sends (collector/src/sinks/sentinel/rows.ts), as the rule's stream declares them. */
export const STREAM_COLUMNS = [
  { name: "TimeGenerated", type: "datetime" },
  { name: "ContentType", type: "string" },
  { name: "Id", type: "string" },
  { name: "Record", type: "dynamic" },
] as const;

/** Top-level fields most queries filter on, lifted out of Record by the rule's transformation into the table's own columns. */
export const LIFTED_FIELDS = ["Operation", "Workload", "UserId"] as const;

/** The rule's transformation: the rows as sent, plus the lifted fields. */
export const TRANSFORM_KQL = `source | extend ${LIFTED_FIELDS.map((field) => `${field} = tostring(Record.${field})`).join(", ")}`;

/** The table's columns: the stream's, then the lifted ones (string), as Log Analytics names its types. */
export const TABLE_COLUMNS = [
  ...STREAM_COLUMNS.map((column) => ({ name: column.name, type: column.type === "datetime" ? "dateTime" : column.type })),
  ...LIFTED_FIELDS.map((name) => ({ name, type: "string" })),
];

/**
 * Unless the stack's owner names a rule of their own (`sinkRuleId`), Microsoft Sentinel reads the stack's Log Analytics
 * workspace: a custom table `AuditfeedM365_CL` there, a data
 * collection endpoint, and a data collection rule that declares the collector's stream, lifts a few fields out of the
 * record and sends the rows to the table; the job's identity gets Monitoring Metrics Publisher on that rule only. The
 * job then learns the endpoint, the rule's immutable id and the stream from the stack, not from its owner.
 */
export const SENTINEL_INFRA: SinkInfra = {
  // Stand-ins the collector's check accepts before the resources exist: a loopback endpoint passes in every cloud.
  provides: { sinkUrl: "https://127.0.0.1", sinkRuleId: "dcr-00000000000000000000000000000000", sinkStream: DEFAULT_STREAM },
  why: "the stack creates the data collection endpoint and rule and hands their endpoint, immutable id and stream to the job; to use a rule of your own instead, set sinkRuleId and sinkUrl",
  ownResourcesOption: "sinkRuleId",
  declare: declareSentinel,
};

function declareSentinel(context: SinkInfraContext): SinkInfraResult {
  const { workspaceId } = context;
  if (workspaceId === undefined) {
    throw new Error(
      "The stack creates the sentinel sink's table, endpoint and rule in its own Log Analytics workspace, which an MSSP tenant stack does not have (it logs to the provider's): in MSSP mode, point the job at a data collection rule of your own with sinkRuleId and sinkUrl (and grant the provider's identity Monitoring Metrics Publisher on it), or use another sink (docs/deploy.md, Microsoft Sentinel).",
    );
  }
  const parent = { parent: context.parent };
  const { name, resourceGroupName, location } = context;
  // The dedicated workspace sits in the stack's resource group; its name is the last segment of its resource id.
  const workspaceName = pulumi.output(workspaceId).apply((id) => id.slice(id.lastIndexOf("/") + 1));
  const table = new operationalinsights.Table(
    `${name}-sentinel-table`,
    { resourceGroupName, workspaceName, tableName: SENTINEL_TABLE, schema: { name: SENTINEL_TABLE, columns: TABLE_COLUMNS } },
    parent,
  );
  const endpoint = new monitor.DataCollectionEndpoint(`${name}-dce`, { resourceGroupName, location, networkAcls: { publicNetworkAccess: "Enabled" } }, parent);
  const rule = new monitor.DataCollectionRule(
    `${name}-dcr`,
    {
      resourceGroupName,
      location,
      description: `auditfeed: Microsoft 365 audit records of ${context.customer} into ${SENTINEL_TABLE}.`,
      dataCollectionEndpointId: endpoint.id,
      streamDeclarations: { [DEFAULT_STREAM]: { columns: [...STREAM_COLUMNS] } },
      destinations: { logAnalytics: [{ name: DESTINATION, workspaceResourceId: workspaceId }] },
      dataFlows: [{ streams: [DEFAULT_STREAM], destinations: [DESTINATION], transformKql: TRANSFORM_KQL, outputStream: DEFAULT_STREAM }],
    },
    // The rule's output stream must name an existing table.
    { ...parent, dependsOn: [table] },
  );
  const publisher = context.grant(`${name}-sentinel-publisher`, rule.id, MONITORING_METRICS_PUBLISHER_ROLE_ID);
  const ingestionUrl = endpoint.logsIngestion.apply((logs) => {
    if (logs?.endpoint === undefined) throw new Error("The data collection endpoint reports no Logs Ingestion URL.");
    return logs.endpoint;
  });
  return {
    wiring: {
      settings: [
        { option: "sinkUrl", value: ingestionUrl },
        { option: "sinkRuleId", value: rule.immutableId },
        { option: "sinkStream", value: DEFAULT_STREAM },
      ],
      secrets: [],
      files: [],
    },
    readiness: [table, rule, publisher],
  };
}
