import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** GitHub runs at most 256 jobs from one matrix; each batch is one matrix of the tenant-stack batch workflow. */
export const MATRIX_LIMIT = 256;

/** What the tenant-stacks workflow runs: the Pulumi command, and the stacks in batches of at most MATRIX_LIMIT. */
export interface FleetPlan {
  readonly command: PulumiCommand;
  readonly count: number;
  readonly batches: readonly { readonly name: string; readonly stacks: readonly string[] }[];
}

export const PULUMI_COMMANDS = ["preview", "up", "refresh", "destroy"] as const;
export type PulumiCommand = (typeof PULUMI_COMMANDS)[number];

/** A plan input that is not acceptable; the message names the input and the fix. */
export class FleetPlanError extends Error {}

/** Pulumi's stack names: letters, digits, `-`, `_` and `.`, so one can never carry shell or path syntax. */
const STACK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

/** The stacks of a folder: one per `Pulumi.<stack>.yaml` beside `Pulumi.yaml`, sorted. */
export function stacksOf(fileNames: readonly string[]): string[] {
  return fileNames
    .map((name) => STACK_FILE.exec(name)?.[1])
    .filter((name): name is string => name !== undefined && STACK_NAME.test(name))
    .sort();
}

/** The example stacks: one name a line in the examples file; `#` starts a comment. */
export function parseExamples(text: string): Set<string> {
  return new Set(
    text
      .split("\n")
      .map((line) => line.replace(/#.*/, "").trim())
      .filter((line) => line !== ""),
  );
}

export interface PlanInput {
  /** Every stack file's stack name. */
  readonly stacks: readonly string[];
  /** Example stacks, never deployed. */
  readonly examples: ReadonlySet<string>;
  /** The GitHub event: pull_request previews, push and schedule update, workflow_dispatch does what it is told. */
  readonly event: string;
  /** workflow_dispatch only: one stack, or empty for all. */
  readonly stack?: string | undefined;
  /** workflow_dispatch only: the Pulumi command. */
  readonly command?: string | undefined;
  readonly batchSize?: number;
}

/** Plans a run of the tenant-stacks workflow: which command, on which stacks, in which batches. */
export function planFleet(input: PlanInput): FleetPlan {
  const command = commandFor(input.event, input.command);
  const fleet = input.stacks.filter((stack) => !input.examples.has(stack));
  const stack = input.event === "workflow_dispatch" ? (input.stack ?? "") : "";
  const chosen = stack === "" ? fleet : [chosenStack(stack, fleet, input.examples)];
  if (command === "destroy" && chosen.length !== 1)
    throw new FleetPlanError("command destroy needs one stack: set the stack input to the customer to offboard.");
  const size = input.batchSize ?? MATRIX_LIMIT;
  if (!Number.isInteger(size) || size < 1 || size > MATRIX_LIMIT) throw new FleetPlanError(`batch size must be 1 to ${MATRIX_LIMIT}; got ${size}.`);
  const batches: { name: string; stacks: string[] }[] = [];
  for (let start = 0; start < chosen.length; start += size) {
    const stacks = chosen.slice(start, start + size);
    batches.push({ name: `${start + 1}-${start + stacks.length}`, stacks });
  }
  return { command, count: chosen.length, batches };
}

function commandFor(event: string, requested: string | undefined): PulumiCommand {
  if (event === "pull_request") return "preview";
  if (event === "push" || event === "schedule") return "up";
  if (event !== "workflow_dispatch") throw new FleetPlanError(`event ${event} is not one the tenant-stacks workflow handles.`);
  if (!(PULUMI_COMMANDS as readonly string[]).includes(requested ?? ""))
    throw new FleetPlanError(`command input is "${requested ?? ""}": use one of ${PULUMI_COMMANDS.join(", ")}.`);
  return requested as PulumiCommand;
}

function chosenStack(stack: string, fleet: readonly string[], examples: ReadonlySet<string>): string {
  if (!STACK_NAME.test(stack)) throw new FleetPlanError(`stack input "${stack}" is not a stack name: use letters, digits, '-', '_' or '.'.`);
  if (examples.has(stack)) throw new FleetPlanError(`stack input "${stack}" is an example stack, which is never deployed.`);
  if (!fleet.includes(stack))
    throw new FleetPlanError(`stack input "${stack}" has no Pulumi.${stack}.yaml: create it with \`pulumi stack init ${stack}\` first.`);
  return stack;
}

/** The plan for the repository at `root`, reading its stack files and its examples file. */
export async function planRepository(root: string, input: Omit<PlanInput, "stacks" | "examples">): Promise<FleetPlan> {
  const stacks = stacksOf(await readdir(root));
  const examples = parseExamples(await readFile(join(root, EXAMPLES_FILE), "utf8").catch(() => ""));
  return planFleet({ ...input, stacks, examples });
}

/** Example stacks (documentation, tests) that the workflow never deploys. */
export const EXAMPLES_FILE = ".github/example-stacks.txt";

// `node infra/fleet/plan.ts`, the tenant-stacks workflow's plan step: the inputs come from the environment (never
// from the workflow's expression syntax pasted into a shell line), the outputs are GITHUB_OUTPUT lines.
if (import.meta.main) {
  try {
    const env = process.env;
    const plan = await planRepository(process.cwd(), { event: env["EVENT"] ?? "", stack: env["STACK"], command: env["COMMAND"] });
    process.stdout.write(`command=${plan.command}\ncount=${plan.count}\nbatches=${JSON.stringify(plan.batches)}\n`);
    process.stderr.write(`${plan.command} on ${plan.count} stacks in ${plan.batches.length} batches\n`);
  } catch (error) {
    if (!(error instanceof FleetPlanError)) throw error;
    process.stderr.write(`tenant-stacks: ${error.message}\n`);
    process.exitCode = 2;
  }
}
