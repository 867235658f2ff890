import { describe, expect, it } from "vitest";
import { JsonArraySplitter, type ArrayElement } from "../../../collector/src/source/json-array-splitter.ts";

interface Read {
  readonly line: string;
  readonly id: string | undefined;
  readonly creationTime: string | undefined;
}

function read(element: ArrayElement): Read {
  return { line: element.bytes.toString("utf8"), id: element.id, creationTime: element.creationTime };
}

function splitInChunks(input: string | Buffer, cuts: number[]): Read[] {
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const splitter = new JsonArraySplitter();
  const out: Read[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...splitter.push(bytes.subarray(from, cut)).map(read));
    from = cut;
  }
  splitter.end();
  return out;
}

const TRICKY = [
  { Id: "a", CreationTime: "2026-11-20T10:00:00", text: 'quote " and backslash \\ and \\" escaped' },
  { Id: "b", text: "brackets ] } [ { and commas , : inside a string", nested: { list: [1, [2, { deep: "]", Id: "not me" }]], empty: {}, none: [] } },
  { Id: "c", text: "unicode: é ü 漢字 🙂 \u2028 and escapes \n \t \u0000 \u001f", numbers: [0, -0, 12.5e3, -7, 1e-7, 0.25, -12.75e-3] },
  { Id: "d", trailing: "\\", literals: [true, false, null], CreationTime: "2026-11-20T10:00:00" },
  { CreationTime: 42, text: "no Id; a CreationTime that is no string" },
  { Id: 'q"uo\\te', "Creation\u0054ime": "escaped key" },
  { Id: "first", other: 1, "Id ": "a longer key", Id2: "x" },
  { strings: ["a", "b", { k: "v", w: ["x", "y"], n: 2 }, "c"], after: { x: "y" }, CreationTime: "2026-11-20T10:00:00", Id: "e" },
  {},
];

/** What the splitter reads from each TRICKY element: its compact JSON and its top-level Id and CreationTime strings. */
function expected(item: Record<string, unknown>): Read {
  const parsed = JSON.parse(JSON.stringify(item)) as { Id?: unknown; CreationTime?: unknown };
  return {
    line: JSON.stringify(item),
    id: typeof parsed.Id === "string" ? parsed.Id : undefined,
    creationTime: typeof parsed.CreationTime === "string" ? parsed.CreationTime : undefined,
  };
}

describe("JsonArraySplitter", () => {
  // Compact elements, with blanks and line breaks between them (outside the elements).
  const text = ` \r\n[ ${TRICKY.map((item) => JSON.stringify(item)).join(" ,\n\t")}\n] \n`;
  const want = TRICKY.map(expected);

  it("should yield every element's bytes as sent, with its top-level Id and CreationTime", () => {
    expect(splitInChunks(text, [])).toEqual(want);
    expect(want[5]).toMatchObject({ id: 'q"uo\\te', creationTime: "escaped key" });
    expect(want[6]?.id).toBe("first");
    expect(want[7]).toMatchObject({ id: "e", creationTime: "2026-11-20T10:00:00" });
  });

  it("should give the same elements whatever byte the chunks are cut at (UTF-8 characters and keys cut included)", () => {
    const length = Buffer.byteLength(text);
    for (let cut = 0; cut <= length; cut++) expect(splitInChunks(text, [cut])).toEqual(want);
  });

  it("should cope with one byte per chunk", () => {
    const cuts = Array.from({ length: Buffer.byteLength(text) }, (_, index) => index);
    expect(splitInChunks(text, cuts)).toEqual(want);
  });

  it("should keep an element's raw bytes, blanks and multi-byte characters included", () => {
    const raw = '{ "Id" : "x" , "v":"🙂 \\"q\\"", "n": [ 1 , 2E+400, -0.5e-3 ] }';
    expect(splitInChunks(`[${raw}]`, [8, 9, 10])).toEqual([{ line: raw, id: "x", creationTime: undefined }]);
  });

  it("should put an element that spans lines on one line", () => {
    const pretty = JSON.stringify({ Id: "p", CreationTime: "2026-11-20T10:00:00", a: [1, { b: "c" }] }, null, 2).replaceAll("\n", "\r\n");
    expect(splitInChunks(`[${pretty}]`, [5])).toEqual([
      { line: '{"Id":"p","CreationTime":"2026-11-20T10:00:00","a":[1,{"b":"c"}]}', id: "p", creationTime: "2026-11-20T10:00:00" },
    ]);
  });

  it("should keep every value of an element that spans lines exactly as sent, blanks inside strings included", () => {
    const pretty = '{\n  "Id" : "s",\n  "Big": 123456789012345678901234567890,\n  "Text": " two  spaces, \\" and a \\\\ " ,\n  "E": 1E+400\n}';
    expect(splitInChunks(`[${pretty}]`, [])).toEqual([
      { line: '{"Id":"s","Big":123456789012345678901234567890,"Text":" two  spaces, \\" and a \\\\ ","E":1E+400}', id: "s", creationTime: undefined },
    ]);
  });

  it("should let the last of a repeated key win, as JSON.parse does", () => {
    expect(splitInChunks('[{"Id":"one","Id":"two"},{"Id":"one","Id":7}]', []).map((element) => element.id)).toEqual(["two", undefined]);
  });

  it.each([
    ["[]", []],
    [" [ ] ", []],
    ["\uFEFF[{}]", [{ line: "{}", id: undefined, creationTime: undefined }]],
  ])("should read %j", (input, elements) => {
    expect(splitInChunks(input, [])).toEqual(elements);
  });

  it.each([
    ['{"Id":"x"}', /opening \[/],
    ['[{"a":1},,{}]', /an array element/],
    ['[{"a":1}{"b":2}]', /a comma or the closing \]/],
    ["[{}] x", /nothing after the closing \]/],
    ["[,{}]", /an array element/],
    ["[1]", /must be a JSON object/],
    ['["text"]', /must be a JSON object/],
  ])("should reject %j", (input, message) => {
    expect(() => splitInChunks(input, [])).toThrow(message);
  });

  it.each([
    ['{"a":tru}', /the literal true/],
    ['{"a":nul}', /the literal null/],
    ['{"a":1,}', /a key/],
    ['{"a" 1}', /a colon/],
    ['{"a":01}', /a digit/],
    ['{"a":-}', /a digit/],
    ['{"a":1.}', /a digit/],
    ['{"a":1e}', /a digit/],
    ['{"a":.5}', /a value/],
    ['{"a":+1}', /a value/],
    ['{"a":"x\\q"}', /an escape/],
    ['{"a":"\\u12g4"}', /hexadecimal digit/],
    ['{"a":"tab\there"}', /control characters must be escaped/],
    ['{"a":"line\nbreak"}', /control characters must be escaped/],
    ['{"a":[1}', /own closing bracket/],
    ['{"a":{"b":1]}', /own closing bracket/],
    ['{"a":[1,]}', /a value/],
    ["{a:1}", /a key/],
    ['{"a":1 "b":2}', /a comma or a closing bracket/],
  ])("should refuse the element %s, which JSON.parse refuses too", (element, message) => {
    expect(() => JSON.parse(element) as unknown).toThrow();
    expect(() => splitInChunks(`[${element}]`, [])).toThrow(message);
  });

  it("should accept exactly what JSON.parse accepts, on thousands of mutated records", () => {
    const base = JSON.stringify({
      Id: "1f0c",
      CreationTime: "2026-11-20T10:00:00",
      Operation: "FileAccessed",
      Numbers: [0, -1.5e-3, 42, 7.25],
      Flags: [true, false, null],
      Nested: { Quote: 'say "hi"\\', Empty: {}, List: [] },
    });
    const mutations = '{}[]:,"\\ -+.eE0123456789tfnul\t\nx';
    let seed = 12_345;
    const random = (limit: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % limit;
    };
    let accepted = 0;
    for (let round = 0; round < 5_000; round++) {
      const chars = [...base];
      for (let edits = 1 + random(2); edits > 0; edits--) chars[random(chars.length)] = mutations[random(mutations.length)] as string;
      const element = chars.join("");
      let parses: boolean;
      try {
        const value = JSON.parse(element) as unknown;
        parses = value !== null && typeof value === "object" && !Array.isArray(value);
      } catch {
        parses = false;
      }
      let splits: boolean;
      try {
        const elements = splitInChunks(`[${element}]`, [random(element.length + 2)]);
        splits = elements.length === 1;
        if (splits && !element.includes("\n")) expect(elements[0]?.line).toBe(element);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        splits = false;
      }
      expect({ element, splits }).toEqual({ element, splits: parses });
      if (parses) accepted++;
    }
    // Some mutations keep the record valid (a digit for a digit, a letter inside a string): both sides were exercised.
    expect(accepted).toBeGreaterThan(500);
  });

  it("should find a string's end, escape or control character at any place in the word-at-a-time scan", () => {
    // The scan reads four bytes at once: put each byte that ends plain content at every position of a word, next to
    // bytes on both sides of its thresholds (0x1f/0x20, 0x21/0x23 around the quote, 0x5b/0x5d around the backslash,
    // 0x7f, and the high bytes of a UTF-8 character), and compare with JSON.parse.
    const fillers = ["a", " ", "\x7f", "é", "!", "#", "[", "]", "🙂"];
    const specials = ['"', "\\", "\\n", "\\u00e9", "\t", "\u001f", "\u0000", "\n"];
    for (const filler of fillers) {
      for (const special of specials) {
        for (let before = 0; before <= 9; before++) {
          const value = `${filler.repeat(before)}${special}${filler.repeat(9 - before)}`;
          const element = `{"Id":"x","v":"${value}","n":1}`;
          let parsed: unknown;
          try {
            parsed = JSON.parse(element);
          } catch {
            parsed = undefined;
          }
          for (const cut of [0, 14 + before, 16 + before]) {
            let line: string | undefined;
            try {
              line = splitInChunks(`[${element}]`, [cut])[0]?.line;
            } catch (error) {
              if (!(error instanceof SyntaxError)) throw error;
            }
            expect({ value, cut, line }).toEqual({ value, cut, line: parsed === undefined ? undefined : element });
          }
        }
      }
    }
  });

  it("should refuse a byte that is not UTF-8 wherever it sits in a string, and accept the same place with a valid character", () => {
    // The scan reads four bytes at once and skips the UTF-8 check of an ASCII element: every position in a word, and
    // cuts before and after the first byte.
    for (const [bad, valid] of [
      [[0x80], [0xc2, 0x80]],
      [[0xff], [0xc3, 0xbf]],
      [[0xc3], [0xc3, 0xa9]],
      [
        [0xed, 0xa0, 0x80],
        [0xed, 0x9f, 0xbf],
      ], // a UTF-16 surrogate, which UTF-8 may not encode; then U+D7FF
    ] as const) {
      for (let before = 0; before <= 8; before++) {
        const element = (inner: readonly number[]): Buffer =>
          Buffer.concat([Buffer.from(`{"Id":"x","v":"${"a".repeat(before)}`), Buffer.from(inner), Buffer.from(`${"b".repeat(8 - before)}"}`)]);
        for (const cut of [0, 16 + before, 17 + before]) {
          expect(() => splitInChunks(Buffer.concat([Buffer.from("["), element(bad), Buffer.from("]")]), [cut])).toThrow(/not valid UTF-8/);
          const good = element(valid);
          expect(splitInChunks(Buffer.concat([Buffer.from("["), good, Buffer.from("]")]), [cut])).toEqual([
            { line: good.toString(), id: "x", creationTime: undefined },
          ]);
        }
      }
    }
  });

  it.each([['[{"Id":"x"}'], ['[{"Id":"x"'], ['[{"Id":"x","n":1'], ["["], [""]])("should report truncation of %j at the end", (input) => {
    expect(() => splitInChunks(input, [])).toThrow(/truncated/);
  });

  it("should refuse an element larger than its limit instead of growing without bound", () => {
    const splitter = new JsonArraySplitter({ maxElementBytes: 1_000 });
    splitter.push(Buffer.from('[{"Id":"x","pad":"'));
    expect(() => {
      for (let i = 0; i < 10; i++) splitter.push(Buffer.alloc(200, 0x61));
    }).toThrow(/exceeds 1000 bytes/);
  });

  it("should refuse nesting deeper than its limit instead of exhausting the stack", () => {
    expect(() => splitInChunks(`[{"a":${"[".repeat(600)}${"]".repeat(600)}}]`, [])).toThrow(/nests deeper than 512/);
  });

  it("issue 7 item 7: should refuse an element that is not valid UTF-8 instead of delivering U+FFFD in its place", () => {
    const splitter = new JsonArraySplitter();
    const good = Buffer.from('[{"Id":"a","name":"café"},', "utf8");
    const bad = Buffer.concat([Buffer.from('{"Id":"b","name":"caf', "utf8"), Buffer.from([0xc3, 0x28]), Buffer.from('"}]', "utf8")]);
    expect(splitter.push(good).map(read)).toEqual([{ line: '{"Id":"a","name":"café"}', id: "a", creationTime: undefined }]);
    expect(() => splitter.push(bad)).toThrow(/not valid UTF-8/);
  });

  it("should not let an element share memory with the chunk it came from", () => {
    const chunk = Buffer.from('[{"Id":"a"}]');
    const [element] = new JsonArraySplitter().push(chunk);
    chunk.fill(0x20);
    expect(element?.bytes.toString()).toBe('{"Id":"a"}');
  });
});
