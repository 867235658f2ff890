import { describe, expect, it } from "vitest";
import { assertSameTenant, managedIdentityIssuer } from "../../infra/app-credential.ts";
import { CLOUDS } from "../../collector/src/config/clouds.ts";
import { roleAssignmentName, roleDefinitionId } from "../../infra/deterministic-names.ts";
import { rotationWindow } from "../../infra/rotation.ts";
import { requestedApiRoles, resolveAppRoleId } from "../../infra/tenant-access.ts";

describe("roleAssignmentName", () => {
  it("should be a version 5 UUID that depends only on scope, principal and role", () => {
    const name = roleAssignmentName("/subscriptions/s/rg/x", "principal", "role");
    expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(roleAssignmentName("/SUBSCRIPTIONS/s/rg/x", "PRINCIPAL", "ROLE")).toBe(name);
    expect(roleAssignmentName("/subscriptions/s/rg/y", "principal", "role")).not.toBe(name);
    expect(roleAssignmentName("/subscriptions/s/rg/x", "other", "role")).not.toBe(name);
  });

  it("should build the full role definition id ARM requires", () => {
    expect(roleDefinitionId("sub", "guid")).toBe("/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/guid");
  });
});

describe("rotationWindow", () => {
  it("should stay the same within a period and move in the next", () => {
    const a = rotationWindow(new Date("2026-11-03T00:00:00Z"), 30);
    const b = rotationWindow(new Date("2026-12-02T23:59:59Z"), 30);
    const c = rotationWindow(new Date("2026-12-03T00:00:00Z"), 30);
    expect(b).toEqual(a);
    expect(a).toEqual({
      label: "2026-11-03",
      credentialEndDate: "2027-01-02T00:00:00Z",
      credentialEndEpochSeconds: Date.UTC(2027, 0, 2) / 1000,
      certificateValidityHours: 1440,
    });
    expect(c.label).toBe("2026-12-03");
  });

  it("should refuse a period that is not a positive whole number of days", () => {
    expect(() => rotationWindow(new Date(), 0)).toThrow(new RangeError("rotationDays must be a positive whole number of days; got 0."));
  });
});

describe("consent role resolution", () => {
  it("should request ActivityFeed roles always and Graph roles only when switched on", () => {
    expect(requestedApiRoles({ graphUserRead: false, graphUserDisable: false }).map((r) => r.roles)).toEqual([["ActivityFeed.Read", "ActivityFeed.ReadDlp"]]);
    expect(requestedApiRoles({ graphUserRead: true, graphUserDisable: false })[1]).toMatchObject({
      appId: "00000003-0000-0000-c000-000000000000",
      roles: ["User.Read.All"],
    });
  });

  it("should name the API, the role and what exists when a role is missing", () => {
    expect(() => resolveAppRoleId({ "ActivityFeed.Read": "x" }, "Office 365 Management APIs", "ActivityFeed.ReadDlp")).toThrow(
      "The Office 365 Management APIs service principal in this tenant has no app role named ActivityFeed.ReadDlp (it has: ActivityFeed.Read); check the role name.",
    );
  });
});

describe("federated credential", () => {
  it("should trust the cloud's managed-identity issuer of the customer tenant", () => {
    expect(managedIdentityIssuer(CLOUDS.gcchigh, "t")).toBe("https://login.microsoftonline.us/t/v2.0");
    expect(assertSameTenant("ABC", "abc")).toBe("abc");
  });

  it("should refuse a managed identity from another tenant", () => {
    expect(() => assertSameTenant("other", "customer")).toThrow(
      "credential federated needs the collector's managed identity in the customer tenant customer, but it was created in tenant other. Set auditfeed:credential to certificate or secret, or deploy the runtime into a subscription of the customer tenant.",
    );
  });
});
