import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../e2e/harness.ts";

const guide = await readFile(join(ROOT, "docs/troubleshooting.md"), "utf8");

async function sources(folder: string): Promise<string[]> {
  const entries = await readdir(join(ROOT, folder), { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile() && entry.name.endsWith(".ts")).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.map((file) => readFile(file, "utf8")));
}

/** Every match of `pattern` (its first group) in the sources of `folders`. */
async function found(folders: readonly string[], pattern: RegExp): Promise<string[]> {
  const texts = (await Promise.all(folders.map(sources))).flat();
  return [...new Set(texts.flatMap((text) => [...text.matchAll(pattern)].map((match) => match[1] ?? "")))].sort();
}

describe("docs/troubleshooting.md", () => {
  it("should explain every AF_ERR_* code that the collector and the command line can print", async () => {
    const codes = await found(["collector", "cli"], /\b(AF_ERR_[A-Z_]*[A-Z])\b/g);
    expect(codes.length).toBeGreaterThanOrEqual(20);
    expect(codes.filter((code) => !guide.includes(`\`${code}`))).toEqual([]);
  });

  it("should explain every Entra code that auditfeed doctor diagnoses", async () => {
    const codes = await found(["collector", "cli"], /case (\d{5,7}):/g);
    expect(codes.length).toBeGreaterThanOrEqual(10);
    expect(codes.filter((code) => !guide.includes(`AADSTS${code}`))).toEqual([]);
  });

  it("should explain every check that auditfeed doctor reports", async () => {
    const checks = await found(["cli/src/doctor"], /(?:pass|fail|skip|warn)\(\s*"([a-z][a-z -]+)"/g);
    expect(checks).toEqual(expect.arrayContaining(["configuration", "token", "roles"]));
    const table = guide.slice(guide.indexOf("## `auditfeed doctor` checks"));
    expect(checks.filter((check) => !new RegExp(`^\\| [^|]*\\b${check}\\b`, "m").test(table))).toEqual([]);
  });
});
