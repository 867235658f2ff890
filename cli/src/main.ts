import { parseArgs } from "node:util";

/** A command: its one-line summary for `auditfeed help`, and its entry point (arguments after the command name). */
interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  demo: {
    summary: "Run the collector once against the built-in emulator, into ./auditfeed-demo/, and check the result.",
    run: async (args) => (await import("./demo.ts")).demoCommand(args),
  },
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
  emulate: {
    summary: "Start the Office 365 Management Activity API emulator and its token endpoint.",
    run: async (args) => (await import("../../emulator/src/cli.ts")).emulateCommand(args),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: auditfeed <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'auditfeed <command> --help' for a command's options.\n`;
}

export function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv.slice(0, 1), allowPositionals: true, strict: false });
  const name = positionals[0];
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage());
    return Promise.resolve(name === undefined ? 2 : 0);
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`auditfeed: unknown command '${name}'.\n\n${usage()}`);
    return Promise.resolve(2);
  }
  return command.run(argv.slice(1));
}
