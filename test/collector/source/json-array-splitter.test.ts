import { describe, expect, it } from "vitest";
import { JsonArraySplitter } from "../../../collector/src/source/json-array-splitter.ts";

function splitInChunks(text: string, cuts: number[]): string[] {
  const bytes = Buffer.from(text, "utf8");
  const splitter = new JsonArraySplitter();
  const out: string[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...splitter.push(bytes.subarray(from, cut)));
    from = cut;
  }
  splitter.end();
  return out;
}

const TRICKY = [
  { Id: "a", text: 'quote " and backslash \\ and \\" escaped' },
  { Id: "b", text: "brackets ] } [ { and commas , inside a string", nested: { list: [1, [2, { deep: "]" }]], empty: {} } },
  { Id: "c", text: "unicode: é ü 漢字 🙂 \u2028 and escapes \n \t \u0000" },
  { Id: "d", trailing: "\\" },
  "a bare string, with ] and }",
  12.5e3,
  -7,
  true,
  null,
  [],
  {},
];

describe("JsonArraySplitter", () => {
  const text = ` \r\n[ ${TRICKY.map((item, index) => (index % 2 === 0 ? JSON.stringify(item, null, 2) : JSON.stringify(item))).join(" ,\n\t")}\n] \n`;
  const expected = TRICKY.map((item) => JSON.stringify(item));

  it("should yield every top-level element of tricky input whole", () => {
    expect(splitInChunks(text, []).map((raw) => JSON.stringify(JSON.parse(raw)))).toEqual(expected);
  });

  it("should give the same elements whatever byte the chunks are cut at", () => {
    const length = Buffer.byteLength(text);
    for (let cut = 0; cut <= length; cut++) {
      expect(splitInChunks(text, [cut]).map((raw) => JSON.stringify(JSON.parse(raw)))).toEqual(expected);
    }
  });

  it("should cope with one byte per chunk", () => {
    const cuts = Array.from({ length: Buffer.byteLength(text) }, (_, index) => index);
    expect(splitInChunks(text, cuts).map((raw) => JSON.stringify(JSON.parse(raw)))).toEqual(expected);
  });

  it("should keep an element's raw bytes, multi-byte characters included", () => {
    const raw = '{"Id":"x","v":"🙂 \\"q\\""}';
    expect(splitInChunks(`[${raw}]`, [8, 9, 10])).toEqual([raw]);
  });

  it.each([
    ["[]", []],
    [" [ ] ", []],
    ["\uFEFF[1]", ["1"]],
  ])("should read %j", (input, elements) => {
    expect(splitInChunks(input, [])).toEqual(elements);
  });

  it.each([
    ['{"Id":"x"}', /opening \[/],
    ["[1,,2]", /an array element/],
    ['[{"a":1}{"b":2}]', /a comma or the closing \]/],
    ["[1] x", /nothing after the closing \]/],
    ["[,1]", /an array element/],
  ])("should reject %j", (input, message) => {
    expect(() => splitInChunks(input, [])).toThrow(message);
  });

  it.each([['[{"Id":"x"}'], ['[{"Id":"x"'], ["["], [""]])("should report truncation of %j at the end", (input) => {
    expect(() => splitInChunks(input, [])).toThrow(/truncated/);
  });

  it("should refuse an element larger than its limit instead of growing without bound", () => {
    const splitter = new JsonArraySplitter({ maxElementBytes: 1_000 });
    splitter.push(Buffer.from('[{"Id":"x","pad":"'));
    expect(() => {
      for (let i = 0; i < 10; i++) splitter.push(Buffer.alloc(200, 0x61));
    }).toThrow(/exceeds 1000 bytes/);
  });

  it("issue 7 item 7: should refuse an element that is not valid UTF-8 instead of delivering U+FFFD in its place", () => {
    const splitter = new JsonArraySplitter();
    const good = Buffer.from('[{"Id":"a","name":"café"},', "utf8");
    const bad = Buffer.concat([Buffer.from('{"Id":"b","name":"caf', "utf8"), Buffer.from([0xc3, 0x28]), Buffer.from('"}]', "utf8")]);
    expect(splitter.push(good)).toEqual(['{"Id":"a","name":"café"}']);
    expect(() => splitter.push(bad)).toThrow(/not valid UTF-8/);
  });
});
