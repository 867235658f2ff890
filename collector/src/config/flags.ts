import { parseArgs } from "node:util";

export type FlagOptions = Readonly<Record<string, { readonly type: "string" | "boolean"; readonly short?: string }>>;

export interface ParsedFlags {
  /** Each given flag's value by its long name (without `--`); a boolean flag is `true`. */
  readonly values: Readonly<Record<string, string | boolean>>;
  /** The arguments of the flags in `keep`, rewritten as `--name=value`, to hand to another parser. */
  readonly kept: string[];
  /** One sentence per unknown flag, stray argument or flag missing its value. */
  readonly problems: string[];
}

/**
 * Reads command-line flags strictly: a flag that is not in `options` is refused with the closest known flag, because a
 * mistyped option that is silently ignored runs the collector with a default the user meant to change.
 */
export function parseFlags(args: readonly string[], options: FlagOptions, keep: ReadonlySet<string> = new Set()): ParsedFlags {
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, string | boolean> = {};
  const kept: string[] = [];
  const problems: string[] = [];
  let skipValueOf: string | undefined;
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      // `--lookbak 3h`: the 3h belongs to the unknown flag already reported.
      if (skipValueOf === undefined) problems.push(`'${token.value}' is not an option; flags look like --name value or --name=value.`);
      skipValueOf = undefined;
      continue;
    }
    skipValueOf = undefined;
    const spec = options[token.name];
    if (spec === undefined) {
      const closest = closestFlag(token.rawName, Object.keys(options));
      problems.push(`${token.rawName} is not an option${closest === undefined ? "." : `: did you mean ${closest}?`}`);
      if (token.value === undefined) skipValueOf = token.rawName;
      continue;
    }
    if (spec.type === "string" && (token.value === undefined || token.value === "")) {
      problems.push(`--${token.name} needs a value, as in --${token.name}=<value>.`);
      continue;
    }
    values[token.name] = spec.type === "string" ? (token.value as string) : true;
    if (keep.has(token.name)) kept.push(spec.type === "string" ? `--${token.name}=${token.value as string}` : `--${token.name}`);
  }
  return { values, kept, problems };
}

/**
 * The known flag nearest to what was typed, when it is near enough to be a typo (a third of its letters, at least 2)
 * or the start of a flag (`--tenant` for `--tenant-id`).
 */
export function closestFlag(typed: string, known: readonly string[]): string | undefined {
  const closest = closestName(typed.replace(/^-+/, ""), known);
  return closest === undefined ? undefined : `--${closest}`;
}

/** The known name nearest to `typed` (case-insensitive), by the same rule as `closestFlag`. */
export function closestName(typed: string, known: readonly string[]): string | undefined {
  const name = typed.toLowerCase();
  let best: { known: string; distance: number } | undefined;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    // A prefix beats a one-letter typo: `--sinc` is `--since` sooner than `--sink`.
    const distance = name.length > 0 && lower.startsWith(name) ? 0.5 : editDistance(name, lower);
    if (best === undefined || distance < best.distance) best = { known: candidate, distance };
  }
  if (best === undefined || best.distance > Math.max(2, Math.floor(name.length / 3))) return undefined;
  return best.known;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
    }
    previous = row;
  }
  return previous[b.length] as number;
}
