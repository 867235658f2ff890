import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import type { Logger } from "../../../collector/src/log/logger.ts";
import { trustExtraCa } from "../../../collector/src/source/trust.ts";
import { checkApi } from "./api.ts";
import { checkSink, checkState } from "./local.ts";
import { endpointsOf, probeEndpoint } from "./network.ts";
import { fail, pass, skip, type CheckResult } from "./report.ts";
import { acquireToken, checkRoles } from "./token.ts";

/**
 * Every check after the configuration, in the order an operator fixes things: the network, the token and its roles,
 * subscriptions, audit logging, first data, the clock, then the sink and the state store. A check that needs an
 * earlier one to pass is skipped, with the reason, instead of failing a second time for the same cause.
 */
export async function runChecks(config: CollectorConfig, logger: Logger): Promise<CheckResult[]> {
  const results: CheckResult[] = [pass("configuration", `Valid: tenant ${config.tenantId}, cloud ${config.cloud}, ${config.credential.kind} credential.`)];
  if (config.endpoints.caFile !== undefined) trustExtraCa(config.endpoints.caFile);
  const reach = await Promise.all(endpointsOf(config).map((endpoint) => probeEndpoint(endpoint, endpoint.role === "managed-identity" && endpoint.port === 80)));
  results.push(...reach);
  const unreachable = (role: string): boolean => reach.some((result) => result.check === `reach ${role}` && result.status === "fail");
  // The state is read first (its cursors date the subscriptions) but reported last, where it belongs in the order.
  const state = await checkState(config);

  const token = unreachable("login") ? { result: skip("token", "Needs the login host to be reachable.") } : await acquireToken(config);
  results.push(token.result);
  const roles = token.roles === undefined ? skip("roles", "Needs a token.") : checkRoles(config, token.roles);
  results.push(roles);

  if (token.roles === undefined || unreachable("management") || !token.roles.includes("ActivityFeed.Read")) {
    const reason =
      token.roles === undefined ? "Needs a token." : unreachable("management") ? "Needs the Management API to be reachable." : "Needs ActivityFeed.Read.";
    results.push(skip("subscriptions", reason), skip("audit logging", reason), skip("first data", reason), skip("clock skew", reason));
  } else {
    const api = await checkApi(config, logger, state.cursors);
    results.push(...api.subscriptions, api.auditLogging, ...api.firstData, api.clockSkew);
  }
  results.push(await checkSink(config), state.result);
  return results;
}

/** The configuration check's failure: every problem `loadConfig` listed is its fix. */
export function configurationFailure(message: string): CheckResult[] {
  const problems = message.replace(/^The configuration is invalid:\n/, "");
  return [
    fail("configuration", "The configuration is invalid.", `\n${problems}`),
    ...["network", "token", "roles", "subscriptions", "audit logging", "first data", "clock skew", "sink", "state"].map((check) =>
      skip(check, "Needs a valid configuration."),
    ),
  ];
}
