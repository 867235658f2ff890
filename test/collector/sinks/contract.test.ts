import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll } from "vitest";
import { readDeliveredRecords } from "../../../collector/src/sinks/file/delivered-records.ts";
import { createSink } from "../../../collector/src/sinks/registry.ts";
import { StdoutSink } from "../../../collector/src/sinks/stdout/stdout-sink.ts";
import { describeSinkContract } from "./contract.ts";
import { sinkDependencies } from "./fixtures/dependencies.ts";

const root = mkdtempSync(join(tmpdir(), "auditfeed-contract-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const directory = join(root, "file");
const fileConfig = { kind: "file", directory, rotateBytes: 4_096 } as const;
describeSinkContract({
  kind: "file",
  config: fileConfig,
  create: () => createSink(fileConfig, sinkDependencies()),
  delivered: async () => {
    const lines: string[] = [];
    for (const file of (await readDeliveredRecords(directory)).files) {
      for (const line of (await readFile(file, "utf8")).split("\n")) if (line !== "") lines.push((JSON.parse(line) as { Id: string }).Id);
    }
    return lines;
  },
  reset: () => {
    rmSync(directory, { recursive: true, force: true });
    return Promise.resolve();
  },
});

let stdout = "";
const stream = new PassThrough();
stream.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
describeSinkContract({
  kind: "stdout",
  config: { kind: "stdout" },
  create: () => new StdoutSink({ stream }),
  delivered: () =>
    Promise.resolve(
      stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => (JSON.parse(line) as { Id: string }).Id),
    ),
  reset: () => {
    stdout = "";
    return Promise.resolve();
  },
});
