import type { CommandTable } from "./command.ts";

/**
 * The commands that operate a real tenant: everything the container image carries. Nothing reachable from here may
 * import emulator/ (the image's bundle starts at job.ts, and a test asserts what it contains). A new operator command is
 * one entry here; it then exists both in the image and in `bin/auditfeed.js`.
 */
export const COLLECTOR_COMMANDS: CommandTable = {
  run: {
    summary: "Collect continuously, a cycle every poll interval, until SIGTERM.",
    run: async (args) => (await import("./run.ts")).runCommand(args),
  },
  once: {
    summary: "Run one full collection cycle; the exit code is the outcome (what the Container Apps Job runs).",
    run: async (args) => (await import("./once.ts")).onceCommand(args),
  },
  backfill: {
    summary: "Re-list and deliver everything since a time in the last 7 days, without duplicates.",
    run: async (args) => (await import("./backfill.ts")).backfillCommand(args),
  },
  doctor: {
    summary: "Check configuration, network, credentials, permissions, subscriptions, clock, sink and state, each with its fix.",
    run: async (args) => (await import("./doctor.ts")).doctorCommand(args),
  },
  status: {
    summary: "Show each content type's lag, backlog, time left before the 7-day horizon, totals and errors, from the state.",
    run: async (args) => (await import("./status.ts")).statusCommand(args),
  },
};
