import { describe, expect, it } from "vitest";
import { FleetPlanError, parseExamples, planFleet, stacksOf } from "../../infra/fleet/plan.ts";

const fleet = { stacks: ["acme", "contoso", "fabrikam"], examples: new Set(["contoso"]) };

describe("the tenant-stacks plan", () => {
  it("should find one stack per Pulumi.<stack>.yaml, ignoring Pulumi.yaml and names that are no stack names", () => {
    expect(stacksOf(["Pulumi.yaml", "Pulumi.b.yaml", "Pulumi.a-1.yaml", "Pulumi.$(x).yaml", "README.md"])).toEqual(["a-1", "b"]);
    expect([...parseExamples("# examples\ncontoso  # fictitious\n\nnorthwind\n")]).toEqual(["contoso", "northwind"]);
  });

  it("should preview on a pull request and update on a push or the weekly schedule, leaving examples out", () => {
    expect(planFleet({ ...fleet, event: "pull_request" })).toEqual({ command: "preview", count: 2, batches: [{ name: "1-2", stacks: ["acme", "fabrikam"] }] });
    expect(planFleet({ ...fleet, event: "push" }).command).toBe("up");
    expect(planFleet({ ...fleet, event: "schedule" }).command).toBe("up");
    // A dispatch's inputs are ignored on other events, whatever they hold.
    expect(planFleet({ ...fleet, event: "push", stack: "acme", command: "destroy" }).count).toBe(2);
  });

  it("should split the fleet into batches of the given size, each stack once", () => {
    const stacks = Array.from({ length: 7 }, (_, index) => `s${index}`);
    const plan = planFleet({ stacks, examples: new Set(), event: "push", batchSize: 3 });
    expect(plan.batches.map((batch) => batch.name)).toEqual(["1-3", "4-6", "7-7"]);
    expect(plan.batches.flatMap((batch) => batch.stacks)).toEqual(stacks);
    expect(() => planFleet({ stacks, examples: new Set(), event: "push", batchSize: 257 })).toThrow("batch size must be 1 to 256");
  });

  it.each([
    [{ stack: "", command: "destroy" }, "command destroy needs one stack"],
    [{ stack: "acme", command: "rm -rf" }, 'command input is "rm -rf": use one of preview, up, refresh, destroy'],
    [{ stack: "../acme", command: "up" }, 'stack input "../acme" is not a stack name'],
  ])("should refuse a dispatch of %o", (inputs, message) => {
    expect(() => planFleet({ ...fleet, event: "workflow_dispatch", ...inputs })).toThrow(FleetPlanError);
    expect(() => planFleet({ ...fleet, event: "workflow_dispatch", ...inputs })).toThrow(message);
  });

  it("should run a dispatch on the one stack it names", () => {
    expect(planFleet({ ...fleet, event: "workflow_dispatch", stack: "fabrikam", command: "refresh" })).toEqual({
      command: "refresh",
      count: 1,
      batches: [{ name: "1-1", stacks: ["fabrikam"] }],
    });
  });
});
