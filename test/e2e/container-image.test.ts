import { cp, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli, temporaryDirectory } from "./harness.ts";

/** The Dockerfile cannot be built here (no Docker engine); these check what it promises without building it. */
describe("the collector image", () => {
  it("should run as an unprivileged user", async () => {
    const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
    const users = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].map((match) => match[1]);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(dockerfile).toMatch(/^CMD \["auditfeed", "once"\]$/m);
  });

  it("should hold every file the collector loads: the demo runs from only what the Dockerfile copies", async () => {
    const dockerfile = await readFile(join(ROOT, "Dockerfile"), "utf8");
    const copied = [...dockerfile.matchAll(/^COPY\s+(.+)\s+\S+$/gm)].flatMap((match) => (match[1] ?? "").split(/\s+/));
    const image = await temporaryDirectory();
    try {
      for (const path of copied) await cp(join(ROOT, path), join(image.path, path), { recursive: true });
      await symlink(join(ROOT, "node_modules"), join(image.path, "node_modules"));
      const run = runCli(["demo"], {}, image.path, join(image.path, "bin/auditfeed.js"));
      const { code } = await run.exit;
      expect(run.stderr()).toBe("");
      expect(run.stdout()).toContain("verified");
      expect(code).toBe(0);
    } finally {
      await image.remove();
    }
  });
});
