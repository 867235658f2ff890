import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { backoffDelayMs, parseRetryAfter } from "../../../collector/src/retry/backoff.ts";
import { JsonArraySplitter } from "../../../collector/src/source/json-array-splitter.ts";
import { toFetchedRecord } from "../../../collector/src/source/records.ts";

describe("backoffDelayMs", () => {
  const settings = { initialDelayInMs: 100, maxRetryDelayInMs: 1_000, maxElapsedInMs: 10_000 };

  it.each([
    [0, 100],
    [1, 200],
    [3, 800],
    [4, 1_000],
    [40, 1_000],
  ])("should jitter attempt %i fully below a ceiling of %i ms", (attempt, ceiling) => {
    expect(backoffDelayMs(attempt, settings, () => 0)).toBe(0);
    expect(backoffDelayMs(attempt, settings, () => 0.999_999)).toBe(ceiling - 1);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-23T05:00:00Z");

  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["Mon, 23 Nov 2026 05:00:30 GMT", 30_000],
    ["Mon, 23 Nov 2026 04:59:00 GMT", 0],
  ])("should read %j as %i ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });

  it.each([[undefined], [""], ["soon"], ["-5"], ["1.5"]])("should ignore %j", (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

/** A record as the collector reads it: the only element of a blob, through the splitter. */
function fetched(raw: string): { id: string; json: string; creationTime: string | null } {
  const splitter = new JsonArraySplitter();
  const [element, ...rest] = splitter.push(Buffer.from(`[${raw}]`));
  splitter.end();
  if (element === undefined || rest.length > 0) throw new Error(`expected one element in [${raw}]`);
  const record = toFetchedRecord(element);
  return { id: record.id, json: record.bytes.toString(), creationTime: record.creationTime };
}

describe("toFetchedRecord", () => {
  it("should keep a one-line record byte for byte and use its Id", () => {
    const raw = '{"Id":"7d1c","CreationTime":"2026-03-04T08:12:55", "Note":"spaced  as sent"}';
    expect(fetched(raw)).toEqual({ id: "7d1c", json: raw, creationTime: "2026-03-04T08:12:55.000Z" });
  });

  it.each([
    ["2026-03-04T08:12:55", "2026-03-04T08:12:55.000Z"],
    ["2026-03-04T08:12:55.5Z", "2026-03-04T08:12:55.500Z"],
    ["2026-03-04T10:12:55+02:00", "2026-03-04T08:12:55.000Z"],
    ["2024-02-29T23:59:59", "2024-02-29T23:59:59.000Z"],
    ["2000-02-29T10:00:00", "2000-02-29T10:00:00.000Z"],
    ["1900-02-29T10:00:00", "1900-03-01T10:00:00.000Z"],
    ["2026-03-04T08:12", "2026-03-04T08:12:00.000Z"],
    // What Date makes of a day or hour past the end, as before the API's form had its own fast path.
    ["2026-02-29T10:00:00", "2026-03-01T10:00:00.000Z"],
    ["2026-04-31T10:00:00", "2026-05-01T10:00:00.000Z"],
    ["2026-03-04T24:00:00", "2026-03-05T00:00:00.000Z"],
    ["2026-13-04T10:00:00", null],
    ["yesterday", null],
    [42, null],
  ])("should read CreationTime %j as the UTC instant %j", (creationTime, expected) => {
    expect(fetched(JSON.stringify({ Id: "a", CreationTime: creationTime })).creationTime).toBe(expected);
  });

  it("should put a pretty-printed record on one line", () => {
    expect(fetched('{\n  "Id": "x",\r\n  "A": [1, 2]\n}')).toEqual({ id: "x", json: '{"Id":"x","A":[1,2]}', creationTime: null });
  });

  it("should key a record without Id by the SHA-256 of its line", () => {
    const one = fetched('{"Operation":"Foo"}');
    expect(one.id).toBe(`sha256:${createHash("sha256").update('{"Operation":"Foo"}').digest("hex")}`);
    expect(fetched('{"Operation":"Foo"}').id).toBe(one.id);
    expect(fetched('{"Operation":"Bar"}').id).not.toBe(one.id);
    expect(fetched('{"Id":"","Operation":"Foo"}').id).toMatch(/^sha256:/);
  });

  it.each(["[1]", '"text"', "null"])("should refuse %s, which is no record", (raw) => {
    expect(() => fetched(raw)).toThrow(/must be a JSON object/);
  });
});
