import { execFile, spawn } from "node:child_process";
import { chmod, chown, copyFile, cp, mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOB_NODE_FLAGS } from "../../cli/build-job.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_APP, DEMO_TENANT, demoTenant, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import { dockerfileStages, environmentOf, lastOf, type Instruction } from "./dockerfile.ts";
import { committedCursors, ROOT, temporaryDirectory } from "./harness.ts";

/**
 * No Docker engine here: the image cannot be built. Instead this builds the artifact that the Dockerfile's build stage
 * builds, with the command it runs, lays it out where the runtime stage copies it, and starts it as the image starts it:
 * CMD through PATH, the image's environment, its working folder, as a user who can write only the state volume.
 */
const dockerfile = dockerfileStages(await readFile(join(ROOT, "Dockerfile"), "utf8"));
const [buildStage = [], runtimeStage = []] = dockerfile;
const NOBODY = 65_534;

function instructions(stage: readonly Instruction[], keyword: string): string[] {
  return stage.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

/** The Dockerfile's build command, `node cli/build-job.ts <folder>`, and the folder the runtime stage copies from it. */
function buildCommand(): { script: string; output: string } {
  const run = instructions(buildStage, "RUN").find((args) => args.startsWith("node cli/build-job.ts "));
  const [, script = "", output = ""] = run?.split(/\s+/) ?? [];
  return { script, output };
}

/** The runtime stage's one COPY: the build stage's output folder into the image. */
function artifactCopy(): { from: string; source: string; target: string } {
  const [from = "", source = "", target = ""] = instructions(runtimeStage, "COPY")[0]?.split(/\s+/) ?? [];
  return { from, source, target };
}

/** Bundled source files, from the `// path` comment esbuild writes before each module of an unminified bundle. */
function bundledSources(bundle: string): Set<string> {
  return new Set([...bundle.matchAll(/^\/\/ ((?:node_modules|cli|collector|emulator|infra)\/\S+)$/gm)].map((match) => match[1] ?? ""));
}

describe("the collector image's Dockerfile", () => {
  it("should have a build stage that sees only the collector's sources and a runtime stage that copies only the artifact", () => {
    expect(dockerfile).toHaveLength(2);
    expect(instructions(buildStage, "FROM")[0]).toMatch(/^--platform=\$BUILDPLATFORM node:24[-.\w]* AS build$/);
    expect(instructions(runtimeStage, "FROM")[0]).toMatch(/^node:24[-.\w]*$/);
    const sources = instructions(buildStage, "COPY").flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources.sort()).toEqual(["cli", "collector", "package-lock.json", "package.json"]);
    const { script, output } = buildCommand();
    expect(script).toBe("cli/build-job.ts");
    expect(instructions(runtimeStage, "COPY")).toHaveLength(1);
    expect(artifactCopy()).toEqual({ from: "--from=build", source: `${lastOf(buildStage, "WORKDIR")}/${output}/`, target: "/opt/auditfeed/" });
    expect(instructions(runtimeStage, "RUN")).toContain("ln -s /opt/auditfeed/auditfeed.mjs /usr/local/bin/auditfeed");
  });

  it("should run as an unprivileged user, with `auditfeed once` as the command the stack also gives", async () => {
    const user = lastOf(runtimeStage, "USER");
    expect(user).toBe("node");
    expect(lastOf(runtimeStage, "CMD")).toBe('["auditfeed", "once"]');
    const runtime = await readFile(join(ROOT, "infra/collector-runtime.ts"), "utf8");
    expect(runtime).toContain('command: ["auditfeed", "once"]');
  });
});

describe("the collector image's artifact, started as the image starts it", () => {
  let image: Awaited<ReturnType<typeof temporaryDirectory>>;
  let emulator: Emulator;
  let bundle: string;
  let artifactFiles: string[];
  const runAs = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

  /** A path of the image, inside the folder that stands for its root filesystem. */
  const inImage = (path: string): string => join(image.path, path);

  /** `args` as the container's command (CMD, or what the stack sets), through PATH, with the image's environment. */
  function start(args: readonly string[], extra: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: Record<string, string> = {};
    // Every absolute path the image's environment names is a path of the image's filesystem.
    for (const [key, value] of Object.entries(environmentOf(runtimeStage))) env[key] = value.startsWith("/") ? inImage(value) : value;
    // The base image's PATH: /usr/local/bin (auditfeed, and node in the base image; here the Node 24 that runs the tests).
    env["PATH"] = [inImage("/usr/local/bin"), dirname(process.execPath), "/usr/bin", "/bin"].join(":");
    const [command = "", ...rest] = args;
    const child = spawn(command, rest, { cwd: inImage(lastOf(runtimeStage, "WORKDIR") ?? "/"), env: { ...env, ...extra }, ...runAs });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((done, fail) => {
      child.on("error", fail);
      child.on("close", (code) => done({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    image = await temporaryDirectory();
    await chmod(image.path, 0o755);
    // The build stage's command, as it runs it (its output folder placed outside the working tree).
    const { script, output } = buildCommand();
    const built = join(image.path, "build", output);
    await promisify(execFile)(process.execPath, [script, built], { cwd: ROOT });
    // The runtime stage: the artifact where COPY puts it, linked as `auditfeed`, and the state volume.
    const { target } = artifactCopy();
    await cp(built, inImage(target), { recursive: true });
    await mkdir(inImage("/usr/local/bin"), { recursive: true });
    await symlink(inImage("/opt/auditfeed/auditfeed.mjs"), inImage("/usr/local/bin/auditfeed"));
    const volume = JSON.parse(lastOf(runtimeStage, "VOLUME") ?? "[]") as string[];
    for (const path of volume) {
      await mkdir(inImage(path), { recursive: true });
      if (runAs.uid !== undefined) await chown(inImage(path), runAs.uid, runAs.gid);
    }
    // Read-only code and working folder, for the user that runs it (root-owned when the tests run as root).
    await chmod(inImage(target), 0o555);
    artifactFiles = await readdir(inImage(target));
    bundle = await readFile(inImage(join(target, "auditfeed.mjs")), "utf8");

    emulator = await startEmulator({ seed: 31, now: new Date("2026-11-20T12:00:00Z"), freezeClock: true, tenants: [{ ...demoTenant(), historyHours: 3 }] });
    // The emulator's CA, readable by the image's user, as a mounted CA file would be.
    await mkdir(inImage("/etc/auditfeed"), { recursive: true });
    await copyFile(emulator.caFile, inImage("/etc/auditfeed/ca.pem"));
  });

  afterAll(async () => {
    await emulator?.close();
    await chmod(inImage("/opt/auditfeed"), 0o755).catch(() => undefined);
    await image?.remove();
  });

  it("should be one executable bundle and nothing else", () => {
    expect(artifactFiles).toEqual(["auditfeed.mjs"]);
    // Started through its #! line (as `auditfeed` on the PATH), so Node gets the image's flags.
    expect(bundle.startsWith(`#!/usr/bin/env -S node ${JOB_NODE_FLAGS.join(" ")}\n`)).toBe(true);
  });

  it("should hold the collector and its runtime dependencies, and no emulator, node-forge or Pulumi code", () => {
    const sources = [...bundledSources(bundle)];
    expect(sources).toContain("cli/src/job.ts");
    expect(sources).toContain("collector/src/collector.ts");
    expect(sources.some((path) => path.startsWith("node_modules/@azure/identity/"))).toBe(true);
    expect(sources.some((path) => path.startsWith("node_modules/undici/"))).toBe(true);
    const forbidden = sources.filter((path) => /^(emulator|infra)\/|^node_modules\/(node-forge|@pulumi|pulumi)\//.test(path));
    expect(forbidden).toEqual([]);
    expect(bundle).not.toMatch(/node-forge|@pulumi\/|emulator\/src/);
  });

  it("should offer the collector's commands only: no demo, no emulator", async () => {
    const help = await start(["auditfeed", "help"]);
    expect(help.code).toBe(0);
    for (const command of ["run", "once", "backfill"]) expect(help.stdout).toContain(`  ${command} `);
    expect(help.stdout).not.toMatch(/^\s+(demo|emulate)\s/m);
    const emulate = await start(["auditfeed", "emulate"]);
    expect(emulate.code).toBe(2);
    expect(emulate.stderr).toContain("unknown command 'emulate'");
  });

  it("should collect every record of the emulator exactly once into the state volume, writing nowhere else", async () => {
    const run = await start(JSON.parse(lastOf(runtimeStage, "CMD") ?? "[]") as string[], {
      AUDITFEED_TENANT_ID: DEMO_TENANT,
      AUDITFEED_CLIENT_ID: DEMO_APP.clientId,
      AUDITFEED_CLIENT_SECRET: DEMO_APP.secret,
      AUDITFEED_MANAGEMENT_URL: emulator.managementUrl,
      AUDITFEED_AUTHORITY_URL: emulator.authorityUrl,
      AUDITFEED_CA_FILE: inImage("/etc/auditfeed/ca.pem"),
      AUDITFEED_SINK: "file",
      AUDITFEED_LOOKBACK: "2h",
    });
    expect(run.code, run.stderr.slice(-2_000)).toBe(0);
    const env = environmentOf(runtimeStage);
    const delivered = await readDeliveredRecords(inImage(env["AUDITFEED_SINK_DIR"] ?? ""));
    const truth = new Set<string>();
    for (const [type, cursor] of committedCursors(inImage(env["AUDITFEED_STATE"] ?? ""))) {
      expect(cursor.listedThrough, type).toBeInstanceOf(Date);
      for (const id of emulator.tenant(DEMO_TENANT).groundTruth({ from: cursor.origin, to: cursor.listedThrough as Date, contentTypes: [type] }).ids)
        truth.add(id);
    }
    expect(committedCursors(inImage(env["AUDITFEED_STATE"] ?? "")).size).toBe(CONTENT_TYPES.length);
    expect(truth.size).toBeGreaterThan(100);
    expect(delivered.lines).toBe(truth.size);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect(await readdir(inImage("/opt/auditfeed"))).toEqual(["auditfeed.mjs"]);
  });
});
