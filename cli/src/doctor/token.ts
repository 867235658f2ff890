import { CLOUDS } from "../../../collector/src/config/clouds.ts";
import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { redactText } from "../../../collector/src/log/redact.ts";
import { createCredential } from "../../../collector/src/source/credential.ts";
import { aadstsCode, diagnoseEntraError, messageChain } from "../../../collector/src/source/entra-errors.ts";
import { fail, pass, type CheckResult } from "./report.ts";

export const READ_ROLE = "ActivityFeed.Read";
export const READ_DLP_ROLE = "ActivityFeed.ReadDlp";

/** The token check, and the roles the token carries when it got one (the token itself never leaves this function). */
export async function acquireToken(config: CollectorConfig): Promise<{ result: CheckResult; roles?: readonly string[] }> {
  const scope = CLOUDS[config.cloud].scope;
  try {
    const token = await createCredential(config).getToken(scope);
    if (token === null) throw new Error("the credential returned no token");
    return { result: pass("token", `Entra issued a ${config.credential.kind} token for ${scope}.`), roles: rolesOf(token.token) };
  } catch (error) {
    const message = messageChain(error);
    const code = aadstsCode(message);
    if (code !== undefined) {
      const diagnosis = diagnoseEntraError(code, message, config);
      return { result: fail("token", diagnosis.summary, diagnosis.fix) };
    }
    return {
      result: fail(
        "token",
        `No token for ${scope}: ${redactText(message).split("\n")[0]}`,
        "Check tenantId, clientId, cloud and the credential; for federated or workload identity, that the managed identity or token file is present.",
      ),
    };
  }
}

/** The roles check: ActivityFeed.Read always, ActivityFeed.ReadDlp when DLP.All is collected. */
export function checkRoles(config: CollectorConfig, roles: readonly string[]): CheckResult {
  const needed = config.contentTypes.includes("DLP.All") ? [READ_ROLE, READ_DLP_ROLE] : [READ_ROLE];
  const missing = needed.filter((role) => !roles.includes(role));
  if (missing.length === 0) return pass("roles", `The token carries ${needed.join(" and ")}.`);
  const had = roles.length === 0 ? "no roles at all" : `only ${roles.join(", ")}`;
  const dlpOnly = missing.length === 1 && missing[0] === READ_DLP_ROLE;
  return fail(
    "roles",
    `The token carries ${had}; it lacks ${missing.join(" and ")}${dlpOnly ? ", which DLP.All needs" : ""}.`,
    `Grant the application permission${missing.length > 1 ? "s" : ""} ${missing.join(" and ")} of "Office 365 Management APIs" to app ${config.clientId} and grant admin consent in tenant ${config.tenantId} (infra/ does both)${dlpOnly ? ", or remove DLP.All from contentTypes" : ""}; a new token carries them a few minutes later.`,
  );
}

/** The `roles` claim of a JWT, read from its payload without verifying it (only to diagnose; nothing trusts it). */
export function rolesOf(jwt: string): string[] {
  const payload = jwt.split(".")[1];
  if (payload === undefined) return [];
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { roles?: unknown };
    return Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === "string") : [];
  } catch {
    return [];
  }
}
