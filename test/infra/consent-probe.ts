import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks.js";
import { expect } from "vitest";
import {
  ACTIVITY_FEED_READ,
  ACTIVITY_FEED_READ_DLP,
  GRAPH_SP_OBJECT_ID,
  OFFICE365_SP_OBJECT_ID,
  USER_ENABLE_DISABLE_ACCOUNT_ALL,
  USER_READ_ALL,
} from "./mocks.ts";

const OFFICE365_APP_ID = "c5393580-f805-4401-95e8-94b7a6ef2fc2";
const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/**
 * An independent probe of the consent graph a tenant stack registered, written from Microsoft's published ids (the
 * mocks' service principals), not from the program's own resolution: every AppRoleAssignment goes from the one
 * service principal the collector signs in as to Microsoft's service principal of the API, for exactly the expected
 * roles; Microsoft's service principals are only read (data sources), never managed. Holds for both modes: the
 * principal is the service principal of the stack's own app, or of the provider's app.
 */
export function expectConsentGraph(
  registered: readonly MockResourceArgs[],
  customer: string,
  expected: { readonly clientId: string; readonly graphRoles?: readonly string[] },
): void {
  const mine = registered.filter((resource) => resource.name.startsWith(`${customer}-`));
  const inputs = (resource: MockResourceArgs) => resource.inputs as Record<string, unknown>;
  const principals = mine.filter((resource) => resource.type === "azuread:index/servicePrincipal:ServicePrincipal");
  const microsoft = principals.filter((resource) => [OFFICE365_APP_ID, GRAPH_APP_ID].includes(String(inputs(resource).clientId)));
  expect(microsoft, "Microsoft's service principals are read, not managed").toEqual([]);
  const collectors = principals.filter((resource) => inputs(resource).clientId === expected.clientId);
  expect(collectors, "one service principal of the collector's app").toHaveLength(1);
  const principalObjectId = `sp-object-id-${collectors[0]?.name ?? ""}`;

  const assignments = mine.filter((resource) => resource.type === "azuread:index/appRoleAssignment:AppRoleAssignment").map(inputs);
  const graphRoleIds: Record<string, string> = { "User.Read.All": USER_READ_ALL, "User.EnableDisableAccount.All": USER_ENABLE_DISABLE_ACCOUNT_ALL };
  const want = [
    { principalObjectId, resourceObjectId: OFFICE365_SP_OBJECT_ID, appRoleId: ACTIVITY_FEED_READ },
    { principalObjectId, resourceObjectId: OFFICE365_SP_OBJECT_ID, appRoleId: ACTIVITY_FEED_READ_DLP },
    ...(expected.graphRoles ?? []).map((role) => ({ principalObjectId, resourceObjectId: GRAPH_SP_OBJECT_ID, appRoleId: graphRoleIds[role] })),
  ];
  const key = (grant: Record<string, unknown>) => `${String(grant.resourceObjectId)}|${String(grant.appRoleId)}`;
  expect(
    assignments
      .map((grant) => ({ principalObjectId: grant.principalObjectId, resourceObjectId: grant.resourceObjectId, appRoleId: grant.appRoleId }))
      .sort((a, b) => key(a).localeCompare(key(b))),
  ).toEqual(want.sort((a, b) => key(a).localeCompare(key(b))));
}
