import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { recordKey, recordKeyText } from "../../collector/src/state/record-key.ts";
import { DEMO_TENANT, type Emulator } from "../../emulator/src/index.ts";
import { startRsyslog, structuredId, type ReceivedMessage, type Rsyslog } from "../collector/sinks/fixtures/rsyslog.ts";
import { collectorEnvironment, committedCursors, pollUntil, runCli, temporaryDirectory, type CommittedCursor } from "./harness.ts";
import { killRepeatedly, startCrashEmulator } from "./kill-loop.ts";

/**
 * `auditfeed run` into a real rsyslogd over TCP, `kill -9` at random instants while it delivers, restarting each time,
 * then `auditfeed once` to the end. The syslog sink is at-least-once: every record of the emulator's ground truth
 * arrives intact, and a record arrives more than once only if it had been sent but not committed when a kill struck.
 */
const SEED = Number(process.env["AUDITFEED_SYSLOG_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 5;
const MINUTE = 60_000;
const START = new Date("2026-11-20T12:00:00Z");
const HISTORY_HOURS = 2;
const LOOKBACK_MS = 3 * 60 * MINUTE;
const REQUESTS_PER_MINUTE = 100_000;

/** Record keys in the state's dedupe index: what was committed when the process died. */
function committedKeys(statePath: string): Set<string> {
  const db = new DatabaseSync(statePath, { readOnly: true });
  try {
    // One table per CreationTime hour (sqlite-record-index.ts).
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'record_ids%'").all();
    return new Set(
      tables.flatMap((table) =>
        db
          .prepare(`SELECT id FROM "${String(table["name"])}"`)
          .all()
          .map((row) => recordKeyText(row["id"] as Uint8Array | string)),
      ),
    );
  } finally {
    db.close();
  }
}

/** Waits until rsyslogd has written everything it got (its output stops growing), then reads it. */
async function settled(receiver: Rsyslog): Promise<ReceivedMessage[]> {
  let previous = -1;
  for (;;) {
    const bytes = receiver.receivedBytes();
    if (bytes === previous) return receiver.received();
    previous = bytes;
    await sleep(400);
  }
}

describe(`syslog sink into a real rsyslogd under kill -9 (seed ${SEED})`, () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let rsyslog: Rsyslog;
  let messages: ReceivedMessage[];
  let cursors: Map<string, CommittedCursor>;
  /** Ids received but not committed at some kill: the only ones the guarantee lets arrive twice. */
  const window = new Set<string>();
  let interrupted = 0;
  let final: { code: number | null; stderr: string };

  beforeAll(async () => {
    console.log(`syslog crash test seed ${SEED}; replay with AUDITFEED_SYSLOG_SEED=${SEED}`);
    emulator = await startCrashEmulator({
      seed: 41,
      now: START,
      historyHours: HISTORY_HOURS,
      requestsPerMinute: REQUESTS_PER_MINUTE,
      eventsPerHour: 3_000,
      faults: { duplicateRecordRate: 0.02, slowResponseMs: 30 },
    });
    directory = await temporaryDirectory();
    mkdirSync(join(directory.path, "rsyslog"));
    rsyslog = await startRsyslog(join(directory.path, "rsyslog"), { maxMessageBytes: 65_536 });
    // The file sink's folder is not a syslog option: the collector refuses options of another sink.
    const base = collectorEnvironment(emulator, directory.path);
    delete base["AUDITFEED_SINK_DIR"];
    const env = {
      ...base,
      AUDITFEED_SINK: "syslog",
      AUDITFEED_SINK_URL: `tcp://127.0.0.1:${rsyslog.port}`,
      AUDITFEED_DEAD_LETTER: join(directory.path, "dead-letter"),
      AUDITFEED_LOOKBACK: `${LOOKBACK_MS / MINUTE}m`,
      AUDITFEED_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
      AUDITFEED_POLL_INTERVAL: "10s",
      AUDITFEED_FETCH_CONCURRENCY: "2",
    };
    const statePath = join(directory.path, "state.sqlite");
    await killRepeatedly({
      kills: KILLS,
      seed: SEED,
      start: () => Promise.resolve(runCli(["run"], env)),
      // Everything received before this run had settled when the last kill was looked at.
      delivering: async (run, index) => {
        const before = rsyslog.receivedBytes();
        const delivering = await pollUntil(() => rsyslog.receivedBytes() > before, 30_000, 5);
        expect(delivering, `run ${index} delivered nothing:\n${run.stderr().slice(-2_000)}`).toBe(true);
        return delivering;
      },
      maxDelayMs: { delivering: 900 },
      killed: async () => {
        const received = await settled(rsyslog);
        const committed = committedKeys(statePath);
        let uncommitted = 0;
        for (const message of received) {
          const id = structuredId(message) ?? "";
          if (!committed.has(recordKeyText(recordKey(id)))) {
            window.add(id);
            uncommitted++;
          }
        }
        if (uncommitted > 0) interrupted++;
      },
    });
    const once = runCli(["once"], env);
    const exit = await once.exit;
    final = { code: exit.code, stderr: once.stderr() };
    messages = await settled(rsyslog);
    cursors = committedCursors(statePath);
  }, 600_000);

  afterAll(async () => {
    await rsyslog.stop();
    await emulator.close();
    await directory.remove();
  });

  it("should finish with `once` exiting 0", () => {
    expect(final.code, final.stderr.slice(-2_000)).toBe(0);
  });

  it("should have every record of the ground truth arrive intact, and nothing else", () => {
    const truth = new Set<string>();
    for (const type of CONTENT_TYPES) {
      const { origin, listedThrough } = cursors.get(type) as CommittedCursor;
      for (const id of emulator.tenant(DEMO_TENANT).groundTruth({ from: origin, to: listedThrough as Date, contentTypes: [type] }).ids) truth.add(id);
    }
    expect(truth.size).toBeGreaterThanOrEqual(20_000);
    const received = new Set<string>();
    for (const message of messages) {
      const id = structuredId(message) ?? "";
      const record = JSON.parse(message.msg) as { Id: string; CreationTime: string };
      expect(record.Id).toBe(id);
      expect(message.structuredData).toContain(`contentType="${message.msgid}"`);
      expect(new Date(message.timestamp).getTime()).toBe(Date.parse(`${record.CreationTime}Z`));
      received.add(id);
    }
    expect([...truth].filter((id) => !received.has(id))).toEqual([]);
    expect([...received].filter((id) => !truth.has(id))).toEqual([]);
  });

  it("should repeat a record only if a kill struck after it was sent and before it was committed", () => {
    const counts = new Map<string, number>();
    for (const message of messages) {
      const id = structuredId(message) ?? "";
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const repeated = [...counts].filter(([, count]) => count > 1);
    expect(repeated.filter(([id]) => !window.has(id))).toEqual([]);
    expect(Math.max(0, ...repeated.map(([, count]) => count))).toBeLessThanOrEqual(1 + KILLS);
    console.log(
      `syslog crash test: ${KILLS} kills, ${interrupted} with sent-but-uncommitted records, ${repeated.length} records repeated, ${messages.length} messages`,
    );
  });

  it("should have struck at least once while sent records were not committed yet", () => {
    expect(interrupted).toBeGreaterThanOrEqual(1);
  });
});
