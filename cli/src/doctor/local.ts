import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../../collector/src/errors.ts";
import { silentLogger } from "../../../collector/src/log/logger.ts";
import { createSink } from "../../../collector/src/sinks/registry.ts";
import { createManagedIdentityCredential } from "../../../collector/src/source/credential.ts";
import type { ContentType } from "../../../collector/src/source/content.ts";
import { createStateStore, describeState } from "../../../collector/src/state/index.ts";
import type { ContentTypeCursor } from "../../../collector/src/state/store.ts";
import { fail, pass, warn, type CheckResult } from "./report.ts";

/** The sink's own `check` (reachable, accepts writes, delivers nothing); a sink without one is reported unchecked. */
export async function checkSink(config: CollectorConfig): Promise<CheckResult> {
  const sink = createSink(config.sink, { logger: silentLogger, signal: undefined, credential: () => createManagedIdentityCredential(config) });
  if (sink.check === undefined) return warn("sink", `The ${sink.name} sink has no reachability check.`, "Watch the first run's log for sink errors.");
  try {
    await sink.check();
    return pass("sink", `The ${sink.name} sink is reachable and accepts writes.`);
  } catch (error) {
    return fail("sink", `The ${sink.name} sink is not usable (${isAuditfeedError(error) ? error.code : "error"}).`, (error as Error).message);
  }
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
