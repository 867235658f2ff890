import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../e2e/harness.ts";

const CUSTOMER_TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
const OPERATOR_TENANT = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/** What an operator types for each placeholder of the documented commands. */
const PLACEHOLDERS: Record<string, string> = {
  "<your fork of auditfeed>": "https://github.com/soc/auditfeed",
  "<customer tenant GUID>": CUSTOMER_TENANT,
  "<your own tenant GUID>": OPERATOR_TENANT,
  "<collector subscription GUID>": "0f1e2d3c-4b5a-4697-8877-665544332211",
  "<collector subscription tenant GUID>": OPERATOR_TENANT,
  "<SIEM token>": "mock-sink-token",
};

/** The shell block under a heading of docs/onboarding.md, one command a line. */
async function documentedCommands(heading: string): Promise<string[]> {
  const text = await readFile(join(ROOT, "docs/onboarding.md"), "utf8");
  const section = text.slice(text.indexOf(`## ${heading}\n`));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block.split("\n").filter((line) => line.trim() !== "");
}

/** Shell words of one line: plain words and double-quoted strings, placeholders replaced by an operator's answers. */
function words(line: string): string[] {
  let filled = line;
  for (const [placeholder, value] of Object.entries(PLACEHOLDERS)) filled = filled.replaceAll(placeholder, value);
  expect(filled, `every placeholder of "${line}" has an answer in this test`).not.toMatch(/<[^>]+>/);
  return [...filled.matchAll(/"([^"]*)"|(\S+)/g)].map((match) => match[1] ?? match[2] ?? "");
}

/** The stack config that `pulumi stack init` and the `pulumi config set` lines make: keys namespaced as Pulumi stores them. */
function stackOf(commands: readonly string[]): { stack: string; config: Record<string, string>; secrets: string[] } {
  let stack = "";
  const config: Record<string, string> = {};
  const secrets: string[] = [];
  for (const line of commands) {
    const argv = words(line);
    if (argv[0] !== "pulumi") continue;
    if (argv[1] === "stack" && argv[2] === "init") stack = argv[3] ?? "";
    if (argv[1] !== "config" || argv[2] !== "set") continue;
    const rest = argv.slice(3);
    const secret = rest.includes("--secret");
    const [key = "", value = ""] = rest.filter((word) => !word.startsWith("--"));
    const namespaced = key.includes(":") ? key : `auditfeed:${key}`;
    config[namespaced] = value;
    if (secret) secrets.push(namespaced);
  }
  return { stack, config, secrets };
}

describe("docs/onboarding.md, followed from a fresh clone", () => {
  it("should install with npm ci, put the project's Node first and create a stack before setting its config", async () => {
    const commands = await documentedCommands("Create the tenant stack");
    const index = (prefix: string): number => commands.findIndex((line) => line.startsWith(prefix));
    expect(index("npm ci")).toBeGreaterThan(index("git clone"));
    expect(commands).toContain('export PATH="$PWD/node_modules/.bin:$PATH"');
    expect(index("pulumi stack init")).toBeGreaterThan(index("pulumi login"));
    expect(index("pulumi config set")).toBeGreaterThan(index("pulumi stack init"));
    expect(commands.at(-1)).toBe("pulumi preview");
  });

  it("should reach a planned stack: the documented config, run through the program, declares the tenant and its collector job", async () => {
    const { stack, config, secrets } = stackOf(await documentedCommands("Create the tenant stack"));
    expect(stack).toBe("fabrikam");
    expect(secrets).toEqual([]);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, "test/docs/fixtures/plan-stack.ts"), JSON.stringify(config), JSON.stringify(secrets), stack],
      { cwd: ROOT, maxBuffer: 20_000_000 },
    );
    const plan = JSON.parse(stdout) as { resources: { type: string; name: string; inputs: Record<string, unknown> }[]; outputs: Record<string, unknown> };
    const types = plan.resources.map((resource) => resource.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "azuread:index/application:Application",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
        "azure-native:app:Job",
      ]),
    );
    expect(plan.outputs).toMatchObject({ tenantId: CUSTOMER_TENANT, credential: "certificate" });
    const job = plan.resources.find((resource) => resource.type === "azure-native:app:Job");
    const container = (job?.inputs.template as { containers: { image: string; env: { name: string; value?: string }[] }[] }).containers[0];
    expect(container?.image).toBe("ghcr.io/auditfeed/auditfeed:0.1.0");
    const env = Object.fromEntries((container?.env ?? []).map((variable) => [variable.name, variable.value]));
    expect(env).toMatchObject({
      AUDITFEED_TENANT_ID: CUSTOMER_TENANT,
      AUDITFEED_PUBLISHER_ID: OPERATOR_TENANT,
      AUDITFEED_SINK: "stdout",
    });
  });

  it("should deploy with pulumi up", async () => {
    expect(await documentedCommands("Deploy")).toEqual(["pulumi up"]);
  });
});
