import { configFlagOptions } from "../../collector/src/config/config.ts";
import { parseFlags, type FlagOptions } from "../../collector/src/config/flags.ts";
import { EXIT } from "./exit-codes.ts";

/** What a command accepts on its command line. */
export interface CommandLine {
  /** Printed for `--help` / `-h`. */
  readonly help: string;
  /** The command's own flags, beside the collector's options. */
  readonly flags?: FlagOptions;
  /** Whether the collector's options (`configFlagOptions`) are accepted too. */
  readonly collectorOptions: boolean;
}

export type Arguments =
  | { readonly exit: number }
  | {
      /** The flags given, by long name. */
      readonly values: Readonly<Record<string, string | boolean>>;
      /** The collector options' flags, for `loadConfig`. */
      readonly configArgs: string[];
    };

const HELP_FLAG: FlagOptions = { help: { type: "boolean", short: "h" } };

/**
 * Reads a command's arguments: `--help` prints its help (exit 0); an unknown flag, a stray argument or a flag without
 * its value is refused with the closest known flag (exit 2), every problem at once.
 */
export function readArguments(command: string, args: readonly string[], line: CommandLine): Arguments {
  const config = line.collectorOptions ? configFlagOptions() : {};
  const parsed = parseFlags(args, { ...config, ...line.flags, ...HELP_FLAG }, new Set(Object.keys(config)));
  if (parsed.values["help"] === true) {
    process.stdout.write(line.help);
    return { exit: EXIT.ok };
  }
  if (parsed.problems.length > 0) {
    const lines = parsed.problems.map((problem) => `auditfeed ${command}: ${problem}\n`).join("");
    process.stderr.write(`${lines}Run 'auditfeed ${command} --help' for every option.\n`);
    return { exit: EXIT.config };
  }
  return { values: parsed.values, configArgs: parsed.kept };
}
