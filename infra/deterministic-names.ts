import { createHash } from "node:crypto";

// A fixed namespace keeps the names stable across stacks, runs and machines; its value has no other meaning.
const ROLE_ASSIGNMENT_NAMESPACE = "0b6f3c52-51d4-4c3e-9d7c-4b8a1f2e6a10";

/**
 * Name-based UUID (RFC 9562 version 5: SHA-1 of namespace and name) of an Azure role assignment.
 * The same scope, principal and role always give the same name, so a re-run or a re-created stack finds the
 * assignment it made instead of failing with RoleAssignmentExists under a fresh random name.
 */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionGuid: string): string {
  return nameBasedUuid(`${scope.toLowerCase()}|${principalId.toLowerCase()}|${roleDefinitionGuid.toLowerCase()}`);
}

function nameBasedUuid(text: string): string {
  const namespace = Buffer.from(ROLE_ASSIGNMENT_NAMESPACE.replaceAll("-", ""), "hex");
  const name = Buffer.from(text, "utf8");
  const bytes = createHash("sha1").update(namespace).update(name).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Full resource id of a built-in role definition; ARM rejects the bare GUID. */
export function roleDefinitionId(subscriptionId: string, roleDefinitionGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`;
}

/** Name-based UUID of a workbook (ARM names workbooks by GUID): the same workspace and name always give the same one. */
export function workbookName(workspaceId: string, name: string): string {
  return nameBasedUuid(`workbook|${workspaceId.toLowerCase()}|${name}`);
}
