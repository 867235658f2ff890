import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { FileSink } from "../../../collector/src/sinks/file/file-sink.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";
import { ROTATE_BYTES, groupRecords } from "./fixtures/group-records.ts";

const WRITER = join(import.meta.dirname, "fixtures", "crash-writer.ts");
const KILLS = 8;
const root = mkdtempSync(join(tmpdir(), "auditfeed-crash-"));
const statePath = join(root, "state", "state.sqlite");
const directory = join(root, "out");

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs the writer until it has made some progress, then SIGKILLs it at a random instant. */
async function runAndKill(): Promise<void> {
  const child = spawn(process.execPath, [WRITER, statePath, directory], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  await once(child.stdout, "data");
  await sleep(20 + Math.random() * 250);
  child.kill("SIGKILL");
  const [code, signal] = (await exited) as [number | null, string | null];
  expect({ code, signal }).toEqual({ code: null, signal: "SIGKILL" });
}

/** What a restart sees: the committed groups, and the file after the sink recovered to the committed checkpoint. */
async function restartAndRead(): Promise<{ committedGroups: number; lines: string[] }> {
  const store = new SqliteStateStore({ path: statePath, dedupeHorizonMs: 86_400_000 });
  try {
    const snapshot = await store.open();
    await new FileSink({ directory, rotateBytes: ROTATE_BYTES }).open(snapshot.sinkCheckpoint);
    let committedGroups = 0;
    while ((await store.committedBlobs([{ contentId: `g-${committedGroups}`, contentExpiration: "2999-01-01T00:00:00.000Z" }])).size > 0) committedGroups++;
    const segments = readdirSync(directory)
      .filter((name) => name.endsWith(".ndjson"))
      .sort();
    const lines = segments.flatMap((name) => readFileSync(join(directory, name), "utf8").split("\n").slice(0, -1));
    return { committedGroups, lines };
  } finally {
    await store.close();
  }
}

describe("FileSink with the SQLite state store under SIGKILL", () => {
  it(`should hold exactly the committed records after each of ${KILLS} kills at random instants`, async () => {
    let previous = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      await runAndKill();
      const { committedGroups, lines } = await restartAndRead();
      expect(committedGroups).toBeGreaterThanOrEqual(previous);
      previous = committedGroups;
      const expected = Array.from({ length: committedGroups }, (_, group) => groupRecords(group).map((record) => record.json)).flat();
      expect(lines.length).toBe(expected.length);
      expect(lines).toEqual(expected);
    }
    expect(previous).toBeGreaterThan(0);
  });
});
