import { describe, expect, it } from "vitest";
import { closestFlag, parseFlags } from "../../../collector/src/config/flags.ts";

const OPTIONS = { lookback: { type: "string" }, since: { type: "string" }, help: { type: "boolean", short: "h" } } as const;

describe("parseFlags", () => {
  it("should read known flags in both forms and keep the chosen ones as --name=value", () => {
    const parsed = parseFlags(["--lookback", "3h", "--since=2d", "-h"], OPTIONS, new Set(["lookback"]));
    expect(parsed).toEqual({ values: { lookback: "3h", since: "2d", help: true }, kept: ["--lookback=3h"], problems: [] });
  });

  it("should refuse an unknown flag with the closest known one, and a flag without its value", () => {
    expect(parseFlags(["--lookbak", "3h"], OPTIONS).problems).toEqual(["--lookbak is not an option: did you mean --lookback?"]);
    expect(parseFlags(["--sinec=1d"], OPTIONS).problems).toEqual(["--sinec is not an option: did you mean --since?"]);
    expect(parseFlags(["--since"], OPTIONS).problems).toEqual(["--since needs a value, as in --since=<value>."]);
    expect(parseFlags(["-x", "value", "extra"], OPTIONS).problems).toEqual([
      "-x is not an option.",
      "'extra' is not an option; flags look like --name value or --name=value.",
    ]);
  });
});

describe("closestFlag", () => {
  it("should suggest only a near miss", () => {
    expect(closestFlag("--LookBack", ["lookback", "overlap"])).toBe("--lookback");
    expect(closestFlag("--tenant", ["tenant-id", "client-id"])).toBe("--tenant-id");
    expect(closestFlag("--verbose", ["lookback", "overlap"])).toBeUndefined();
  });
});
