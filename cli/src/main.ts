import { COLLECTOR_COMMANDS } from "./collector-commands.ts";
import { dispatch, type CommandTable } from "./command.ts";

/** Every command of `bin/auditfeed.js`: the collector's, plus the demo and the emulator, which the image leaves out. */
const COMMANDS: CommandTable = {
  demo: {
    summary: "Run the collector once against the built-in emulator, into ./auditfeed-demo/, and check the result.",
    run: async (args) => (await import("./demo.ts")).demoCommand(args),
  },
  ...COLLECTOR_COMMANDS,
  emulate: {
    summary: "Start the Office 365 Management Activity API emulator and its token endpoint.",
    run: async (args) => (await import("../../emulator/src/cli.ts")).emulateCommand(args),
  },
};

export function main(argv: string[]): Promise<number> {
  return dispatch(COMMANDS, argv);
}
