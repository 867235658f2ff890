import type * as pulumi from "@pulumi/pulumi";
import type { Cloud } from "../../collector/src/config/clouds.ts";
import type { OptionKey } from "../../collector/src/config/options.ts";
import type { JobWiring } from "../job-wiring.ts";

/** Where a sink's resources go and whom they serve: what the collector runtime hands a sink's infra. */
export interface SinkInfraContext {
  /** Prefix of every resource name (the runtime's component name). */
  readonly name: string;
  readonly customer: string;
  readonly cloud: Cloud;
  readonly location: pulumi.Input<string>;
  /** The stack's own resource group. */
  readonly resourceGroupName: pulumi.Input<string>;
  /** The storage account that holds the state (the provider's in MSSP mode, shared by its customers). */
  readonly storage: {
    readonly resourceGroupName: pulumi.Input<string>;
    readonly accountName: pulumi.Input<string>;
    /** As Azure reports it, with a trailing slash. */
    readonly blobEndpoint: pulumi.Input<string>;
    /** MSSP mode: the provider's account, on which the job's identity has blob data rights already. */
    readonly shared: boolean;
  };
  /** The Log Analytics workspace of the job's logs, when this stack owns it (dedicated hosting). */
  readonly workspaceId: pulumi.Input<string> | undefined;
  /** Grants the job's identity `roleGuid` on `scope` (least privilege: the narrowest scope that works). */
  grant(resourceName: string, scope: pulumi.Input<string>, roleGuid: string): pulumi.Resource;
  readonly parent: pulumi.Resource;
}

/** What a sink's infra adds to the job: settings, secrets and files, and what must exist before its first run. */
export interface SinkInfraResult {
  readonly wiring: JobWiring;
  readonly readiness: readonly pulumi.Resource[];
}

/**
 * The Azure resources a sink needs beside the job (an archive container, a data collection rule), and the options
 * whose values come from them. A sink without an entry needs nothing but the options the stack's owner sets.
 */
export interface SinkInfra {
  /**
   * Options the stack computes for this sink, each with a stand-in that the collector's own check accepts while the
   * resources do not exist yet (`pulumi preview`); the stack refuses them as settings of its own.
   */
  readonly provides: Readonly<Partial<Record<OptionKey, string>>>;
  /** Why the stack sets `provides` itself, for the message that refuses them. */
  readonly why: string;
  /**
   * The option by which the stack's owner names resources of their own instead (sentinel: `sinkRuleId`, an existing
   * data collection rule): when it is set, the stack creates and provides nothing for the sink, and the owner sets
   * the options as for a sink without infra.
   */
  readonly ownResourcesOption?: OptionKey;
  declare(context: SinkInfraContext): SinkInfraResult;
}
