import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { SECRET_MATERIAL } from "./mocks.ts";

const root = path.resolve(import.meta.dirname, "../..");
const harness = path.join(import.meta.dirname, "fixtures", "load-program.ts");

interface HarnessReport {
  readonly types: string[];
  readonly outputs: Record<string, { value: unknown; secret: boolean }>;
}

describe("Pulumi program loading", () => {
  // A separate plain Node process: a module-resolution error (directory import, missing .ts extension) that
  // vitest's resolver would forgive fails here exactly as it would fail `pulumi up`.
  it("should load Pulumi.yaml's main with plain Node ESM and declare the whole stack", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [harness], { cwd: root, maxBuffer: 10_000_000 });
    const report = JSON.parse(stdout) as HarnessReport;
    expect(report.types).toEqual(
      expect.arrayContaining([
        "auditfeed:index:TenantAccess",
        "auditfeed:index:CollectorRuntime",
        "auditfeed:index:AppCredential",
        "azuread:index/application:Application",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
        "azuread:index/applicationPassword:ApplicationPassword",
        "azure-native:app:Job",
        "azure-native:keyvault:Secret",
        "pulumi:providers:azuread",
        "pulumi:providers:azure-native",
      ]),
    );
    expect(report.types.filter((t) => t === "azure-native:keyvault:Secret")).toHaveLength(2);
    expect(Object.keys(report.outputs).sort()).toEqual(
      [
        "clientId",
        "credential",
        "credentialExpiresAt",
        "grantedRoles",
        "jobName",
        "resourceGroupName",
        "servicePrincipalObjectId",
        "stateLocation",
        "tenantId",
      ].sort(),
    );
    expect(report.outputs.tenantId?.value).toBe("7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d");
    expect(report.outputs.credential?.value).toBe("secret");
    for (const material of SECRET_MATERIAL) expect(stdout).not.toContain(material);
  });
});
