import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/** What a file sink directory holds: every record `Id`, how many lines there are (repeats included), and the files. */
export interface DeliveredRecords {
  readonly ids: Set<string>;
  readonly lines: number;
  readonly files: readonly string[];
}

/** Reads every NDJSON segment of a file sink directory, in order: how the demo and the tests check a delivery. */
export async function readDeliveredRecords(directory: string): Promise<DeliveredRecords> {
  const names = (await readdir(directory).catch(() => [])).filter((name) => name.endsWith(".ndjson")).sort();
  const files = names.map((name) => join(directory, name));
  const ids = new Set<string>();
  let lines = 0;
  for (const file of files) {
    for (const line of (await readFile(file, "utf8")).split("\n")) {
      if (line === "") continue;
      lines++;
      ids.add((JSON.parse(line) as { Id: string }).Id);
    }
  }
  return { ids, lines, files };
}
