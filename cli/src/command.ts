import { VERSION } from "./version.ts";

/** A command: its one-line summary for `auditfeed help`, and its entry point (arguments after the command name). */
export interface Command {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

export type CommandTable = Readonly<Record<string, Command>>;

function usage(commands: CommandTable): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return `Usage: auditfeed <command> [options]\n       auditfeed --version\n\nCommands:\n${lines.join("\n")}\n\nRun 'auditfeed <command> --help' for a command's options.\n`;
}

/** Runs the command that `argv[0]` names from `commands`; the promise is the process's exit code. */
export function dispatch(commands: CommandTable, argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === "--version" || name === "-V") {
    process.stdout.write(`auditfeed ${VERSION}\n`);
    return Promise.resolve(0);
  }
  // Asking for help succeeds; no command at all is a usage error (a job started without one must not pass).
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(usage(commands));
    return Promise.resolve(name === undefined ? 2 : 0);
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`auditfeed: unknown command '${name}'.\n\n${usage(commands)}`);
    return Promise.resolve(2);
  }
  return command.run(argv.slice(1));
}
