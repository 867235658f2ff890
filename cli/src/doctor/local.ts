import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../../collector/src/errors.ts";
import { checkSink as runSinkCheck } from "../../../collector/src/sinks/registry.ts";
import type { SinkCheckResult } from "../../../collector/src/sinks/sink-check.ts";
import { createManagedIdentityCredential } from "../../../collector/src/source/credential.ts";
import type { ContentType } from "../../../collector/src/source/content.ts";
import { createStateStore, describeState } from "../../../collector/src/state/index.ts";
import type { ContentTypeCursor } from "../../../collector/src/state/store.ts";
import { fail, pass, warn, type CheckResult } from "./report.ts";

/** The sink's own check (sinks/registry.ts): reachable, and the credential accepted, delivering nothing; a sink without one is reported unchecked. */
export async function checkSink(config: CollectorConfig): Promise<CheckResult> {
  const kind = config.sink.kind;
  let result: SinkCheckResult | undefined;
  try {
    result = await runSinkCheck(config.sink, { signal: undefined, credential: () => createManagedIdentityCredential(config) });
  } catch (error) {
    // A check fails by its result; what it throws is a configuration it could not use (an unreadable CA file).
    return fail("sink", `The ${kind} sink cannot be checked (${isAuditfeedError(error) ? error.code : "error"}).`, (error as Error).message);
  }
  if (result === undefined) return warn("sink", `The ${kind} sink has no check.`, "Watch the first run's log for sink errors.");
  return result.ok ? pass("sink", `${kind} sink: ${result.summary}`) : fail("sink", `${kind} sink: ${result.summary}`, result.fix);
}

/**
 * The state store opens (it is writable, and no other run holds it) and closes again; its cursors tell the other
 * checks when subscriptions were started. Opening a store that does not exist yet creates it, as the first run would.
 */
export async function checkState(
  config: CollectorConfig,
): Promise<{ result: CheckResult; cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>> }> {
  // The same store the collector opens (Collector.open).
  const store = createStateStore(config.state, { dedupeHorizonMs: config.dedupeHorizonMs, now: () => new Date() });
  const where = describeState(config.state);
  try {
    const snapshot = await store.open();
    await store.close();
    return { result: pass("state", `${where} is writable and not held by another run.`), cursors: snapshot.cursors };
  } catch (error) {
    const code = isAuditfeedError(error) ? error.code : "error";
    const held = code === "AF_ERR_STATE_LOCKED" || code === "AF_ERR_STATE_HELD";
    const summary = held ? `${where} is held by another run (${code}).` : `${where} cannot be opened (${code}).`;
    return { result: fail("state", summary, (error as Error).message), cursors: {} };
  }
}
