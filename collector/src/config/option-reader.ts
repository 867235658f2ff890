import type { OptionKey } from "./options.ts";
import type { Parsed } from "./values.ts";

/**
 * How a part of the configuration (a sink) reads its options from flags, environment and config file without knowing
 * which of them was used. Every problem is collected, not thrown, so that one error lists them all; a message names
 * where the value was set and never shows a secret.
 */
export interface OptionReader {
  /** Where `key` was set (its flag, variable or config file key), or undefined when it is unset. */
  where(key: OptionKey): string | undefined;
  /** The parsed value, or `fallback` when unset; a value that does not parse is a problem (`fix` says what to do). */
  value<T>(key: OptionKey, parse: (text: string) => Parsed<T>, fallback: T, fix?: string): T;
  /** Like `value`, but unset is a problem saying `what` the option is for; `fallback` stands in while problems are collected. */
  required<T>(key: OptionKey, parse: (text: string) => Parsed<T>, fallback: T, what: string): T;
  /** An absolute path: relative to the working directory (flag, environment) or the config file's folder. */
  path(key: OptionKey, fallback: string): string;
  /** An existing file named by `key` (absolute), or undefined when unset; a missing file is a problem saying `what` it must be. */
  existingFile(key: OptionKey, what: string): string | undefined;
  problem(message: string): void;
}
