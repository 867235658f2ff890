import * as applicationinsights from "@pulumi/azure-native/applicationinsights/index.js";
import * as monitor from "@pulumi/azure-native/monitor/index.js";
import * as pulumi from "@pulumi/pulumi";
import { workbookName } from "./deterministic-names.ts";
import { failedRunsQuery, horizonQuery, horizonTrendQuery, lagQuery, quarantinedBlobQuery, quarantineTrendQuery, recordsQuery } from "./monitoring-queries.ts";

export interface CollectorMonitoringArgs {
  readonly customer: string;
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: pulumi.Input<string>;
  /** Resource id of the Log Analytics workspace the job logs to. */
  readonly workspaceId: pulumi.Input<string>;
  /** The Container Apps Job whose log lines the queries read. */
  readonly jobName: pulumi.Output<string>;
  /** Action group (resource id) the alerts notify; none: the alerts only show in Azure Monitor. */
  readonly actionGroupId: string | undefined;
}

/** One alert: what it watches, how bad it is, and how often it looks. */
interface AlertSpec {
  readonly suffix: string;
  readonly displayName: string;
  readonly description: string;
  readonly query: (job: string) => string;
  /** Azure Monitor severity, 0 (critical) to 4 (verbose). */
  readonly severity: number;
  /** A numeric column summed over the rows (absent: the rows are counted). */
  readonly measure?: string;
  /** The alert fires when the count or the sum reaches this. */
  readonly threshold: number;
  readonly windowSize: string;
}

const ALERTS: readonly AlertSpec[] = [
  {
    suffix: "runs-failing",
    displayName: "auditfeed: runs failing repeatedly",
    description: "Three or more runs of the collector job failed in the last hour. Run `auditfeed doctor` with the job's settings for the cause and fix.",
    query: failedRunsQuery,
    severity: 1,
    measure: "failedRuns",
    threshold: 3,
    windowSize: "PT1H",
  },
  {
    suffix: "blob-quarantined",
    displayName: "auditfeed: a blob is quarantined",
    description:
      "A content blob failed the same way three times and is quarantined: it is not fetched again and its records are not delivered. Run `auditfeed status` for each blob's content id and error; recover its records with Purview audit search.",
    query: quarantinedBlobQuery,
    severity: 2,
    threshold: 1,
    // The collector logs the quarantine every run; two hours cover an hourly schedule with a missed run.
    windowSize: "PT2H",
  },
  {
    suffix: "horizon",
    displayName: "auditfeed: within 24 hours of losing data",
    description:
      "A content type is within 24 hours of the Management API's 7-day horizon: content not collected by then is lost. Fix what keeps the collector behind now.",
    query: horizonQuery,
    severity: 0,
    threshold: 1,
    windowSize: "PT30M",
  },
];

/**
 * What an operator watches: three scheduled-query alerts on the collector's log lines (runs failing repeatedly, a quarantined
 * blob, the 7-day horizon warning), notifying the stack's action group, and a workbook with records
 * per content type over time, lag and the horizon. Queries and the fields they read: monitoring-queries.ts.
 */
export class CollectorMonitoring extends pulumi.ComponentResource {
  public readonly alertRuleNames: pulumi.Output<string>[];
  public readonly workbookId: pulumi.Output<string>;

  constructor(name: string, args: CollectorMonitoringArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("auditfeed:index:CollectorMonitoring", name, {}, opts);
    const parent = { parent: this };
    const rules = ALERTS.map(
      (alert) =>
        new monitor.ScheduledQueryRule(
          `${name}-${alert.suffix}`,
          {
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            kind: "LogAlert",
            displayName: `${alert.displayName} (${args.customer})`,
            description: alert.description,
            severity: alert.severity,
            enabled: true,
            scopes: [args.workspaceId],
            evaluationFrequency: "PT5M",
            windowSize: alert.windowSize,
            criteria: {
              allOf: [
                {
                  query: args.jobName.apply(alert.query),
                  ...(alert.measure === undefined ? { timeAggregation: "Count" } : { timeAggregation: "Total", metricMeasureColumn: alert.measure }),
                  operator: "GreaterThanOrEqual",
                  threshold: alert.threshold,
                  failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                },
              ],
            },
            actions: { actionGroups: args.actionGroupId === undefined ? [] : [args.actionGroupId] },
            autoMitigate: true,
          },
          parent,
        ),
    );
    const workbook = new applicationinsights.Workbook(
      `${name}-workbook`,
      {
        resourceGroupName: args.resourceGroupName,
        location: args.location,
        resourceName: pulumi.output(args.workspaceId).apply((id) => workbookName(id, `auditfeed-${args.customer}`)),
        kind: applicationinsights.WorkbookSharedTypeKind.Shared,
        category: "workbook",
        displayName: `auditfeed collector (${args.customer})`,
        sourceId: args.workspaceId,
        serializedData: pulumi.all([args.jobName, args.workspaceId]).apply(([job, workspace]) => JSON.stringify(workbookContent(job, workspace))),
      },
      parent,
    );
    this.alertRuleNames = rules.map((rule) => rule.name);
    this.workbookId = workbook.id;
    this.registerOutputs({ alertRuleNames: this.alertRuleNames, workbookId: this.workbookId });
  }
}

/** The workbook: a title and four time charts (Azure Monitor workbook schema, Notebook/1.0). */
export function workbookContent(job: string, workspaceId: string): Record<string, unknown> {
  const chart = (title: string, query: string): Record<string, unknown> => ({
    type: 3,
    content: {
      version: "KqlItem/1.0",
      title,
      query,
      queryType: 0,
      resourceType: "microsoft.operationalinsights/workspaces",
      crossComponentResources: [workspaceId],
      visualization: "timechart",
      timeContext: { durationMs: 604_800_000 },
    },
  });
  return {
    version: "Notebook/1.0",
    items: [
      {
        type: 1,
        content: {
          json: `## auditfeed collector: ${job}\nRecords delivered per content type, lag, the time left before the 7-day horizon loses data, and quarantined blobs.`,
        },
      },
      chart("Records delivered per content type", recordsQuery(job)),
      chart("Lag (hours): server time minus the newest contentCreated delivered", lagQuery(job)),
      chart("Time left before the 7-day horizon (hours)", horizonTrendQuery(job)),
      chart("Quarantined blobs (not fetched again; auditfeed status lists each)", quarantineTrendQuery(job)),
    ],
    $schema: "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json",
  };
}
