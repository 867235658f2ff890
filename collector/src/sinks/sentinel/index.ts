import { createDeadLetter } from "../remote/dead-letter-location.ts";
import { RemoteSink } from "../remote/remote-sink.ts";
import type { SinkDefinition } from "../registry.ts";
import { httpTls } from "../http/http-client.ts";
import { checkFailed, checkPassed, unreachableSink, type SinkCheckDependencies, type SinkCheckResult } from "../sink-check.ts";
import { readSentinelSinkConfig, type SentinelSinkConfig } from "./config.ts";
import { sentinelDestination } from "./ingestion.ts";

export type { SentinelSinkConfig } from "./config.ts";

/**
 * Doctor's check: DNS, TCP and TLS to the ingestion endpoint, then a token for the cloud's Azure Monitor audience from
 * the managed identity the sink signs in with. The Logs Ingestion API has no request that proves the identity's role on
 * the rule without delivering a row, so that part is left to the first delivery (a 403 there names the role).
 */
async function check(config: SentinelSinkConfig, { signal, credential }: SinkCheckDependencies): Promise<SinkCheckResult> {
  const { url, caFile } = config.remote;
  const unreachable = await unreachableSink(url, { tls: httpTls(caFile), signal });
  if (unreachable !== undefined) return unreachable;
  try {
    await credential().getToken(`${config.audience}/.default`, signal === undefined ? {} : { abortSignal: signal });
  } catch (error) {
    if (signal?.aborted) throw error;
    return checkFailed(
      `The managed identity got no token for ${config.audience} (${(error as Error).message.split("\n")[0]}).`,
      "Run where the job's user-assigned identity is attached (the Container Apps Job the stack created), and give its client id as managedIdentityClientId (--managed-identity-client-id, AUDITFEED_MANAGED_IDENTITY_CLIENT_ID).",
    );
  }
  return checkPassed(
    `${new URL(url).host} answers (DNS, TCP, TLS) and the managed identity gets a token for ${config.audience}; its Monitoring Metrics Publisher role on ${config.ruleId} is proved by the first delivery (a 403 names it).`,
  );
}

/**
 * Microsoft Sentinel, that is a Log Analytics table, through the Logs Ingestion API as the host's managed identity.
 * At least once: the API has no idempotency key, so a group sent but not committed when the collector dies is sent
 * again after the restart (only in that window); every row carries the record's Id to find the repeat. See README.md.
 */
export const sentinelSink: SinkDefinition<SentinelSinkConfig> = {
  kind: "sentinel",
  delivery: () => "at-least-once",
  readConfig: readSentinelSinkConfig,
  check,
  create: (config, { logger, signal, credential }) =>
    new RemoteSink({
      name: "sentinel",
      delivery: "at-least-once",
      connect: () => sentinelDestination(config, credential()),
      deadLetter: createDeadLetter(config.remote.deadLetter, "sentinel", logger),
      settings: config.remote.driver,
      logger,
      signal,
    }),
};
