import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodePartition, encodePartition, encodeSections } from "../../../collector/src/state/azblob/entries.ts";
import { KEY_BYTES, SortedKeys } from "../../../collector/src/state/azblob/sorted-keys.ts";

/** The model: key (hex) -> latest expiry, which is what a partition answers. */
type Model = Map<string, number>;

const hex = (keys: Uint8Array, at: number): string => Buffer.from(keys.subarray(at * KEY_BYTES, (at + 1) * KEY_BYTES)).toString("hex");

function entriesOf(set: SortedKeys): Model {
  const model: Model = new Map();
  for (let at = 0; at < set.size; at++) model.set(hex(set.keys, at), set.expiries[set.index[at] as number] as number);
  return model;
}

function expectSortedUnique(set: SortedKeys): void {
  const keys = Array.from({ length: set.size }, (_, at) => hex(set.keys, at));
  expect(keys.every((key, at) => at === 0 || (keys[at - 1] as string) < key)).toBe(true);
}

/** `count` keys, some repeated, some sharing their first 4 bytes (ordered then by the rest), some random. */
function keysWithTies(count: number): Uint8Array {
  const keys = new Uint8Array(randomBytes(count * KEY_BYTES));
  for (let at = 0; at < count; at++) {
    if (at % 5 === 1) keys.set(keys.subarray(0, 4), at * KEY_BYTES);
    if (at % 7 === 3) keys.copyWithin(at * KEY_BYTES, (at - 1) * KEY_BYTES, at * KEY_BYTES);
  }
  return keys;
}

function expectAnswers(set: SortedKeys, model: Model): void {
  const entries = entriesOf(set);
  expect(entries.size).toBe(model.size);
  expect([...entries].filter(([key, expiresAt]) => model.get(key) !== expiresAt)).toEqual([]);
  expectSortedUnique(set);
  const wrong = [...model].filter(([key, expiresAt]) => set.expiryOf(Buffer.from(key, "hex")) !== expiresAt);
  expect(wrong).toEqual([]);
  const absent = Array.from({ length: 200 }, () => set.expiryOf(randomBytes(KEY_BYTES)));
  expect(absent.every((expiresAt) => expiresAt === -Infinity)).toBe(true);
}

describe("SortedKeys (the Blob store's partitions in memory)", () => {
  it("should sort keys given in any order, with repeats and shared prefixes, and find each one and nothing else", () => {
    const keys = keysWithTies(5_000);
    const model: Model = new Map();
    for (let at = 0; at < 5_000; at++) model.set(hex(keys, at), 1_000);
    expectAnswers(SortedKeys.fromUnsorted(keys, 1_000), model);
  });

  it("should merge sets of every relative size, keeping each key's latest expiry", () => {
    let set = SortedKeys.EMPTY;
    const model: Model = new Map();
    for (const [round, count] of [3, 2_000, 1, 0, 700, 10_000, 50].entries()) {
      const fresh = keysWithTies(count);
      // Some keys again, with an earlier and a later expiry than they have.
      const again = [...model.keys()].slice(0, 40).map((key) => Buffer.from(key, "hex"));
      const keys = Buffer.concat([fresh, ...again]);
      const expiresAt = round % 2 === 0 ? 5_000 + round : 10 + round;
      for (let at = 0; at < keys.length / KEY_BYTES; at++) {
        const key = hex(keys, at);
        model.set(key, Math.max(model.get(key) ?? -Infinity, expiresAt));
      }
      const added = SortedKeys.fromUnsorted(keys, expiresAt);
      set = round % 3 === 0 ? SortedKeys.merge(added, set) : SortedKeys.merge(set, added);
      expectAnswers(set, model);
    }
  });

  it("should keep only the live entries, and widen the expiry positions past 256 and 65,536 distinct expiries", () => {
    for (const expiries of [300, 70_000]) {
      const keys = new Uint8Array(randomBytes(expiries * KEY_BYTES));
      const model: Model = new Map();
      // One key per expiry, merged in batches as compactions do.
      const batch: SortedKeys[] = [];
      for (let at = 0; at < expiries; at++) {
        batch.push(SortedKeys.fromUnsorted(keys.subarray(at * KEY_BYTES, (at + 1) * KEY_BYTES), at));
        model.set(hex(keys, at), at);
      }
      for (let next = 0; next + 1 < batch.length; next += 2) batch.push(SortedKeys.merge(batch[next] as SortedKeys, batch[next + 1] as SortedKeys));
      const set = batch.at(-1) as SortedKeys;
      expect(set.index.BYTES_PER_ELEMENT).toBe(expiries > 65_536 ? 4 : 2);
      expectAnswers(set, model);
      const live = set.live(expiries / 2);
      expectAnswers(live, new Map([...model].filter(([, expiresAt]) => expiresAt > expiries / 2)));
      expect(set.live(-1)).toBe(set);
      expect(Buffer.from(decodePartition(encodePartition(live), "test").keys).equals(live.keys)).toBe(true);
    }
  });

  it("should store a partition of one expiry in 16 bytes per key and read it back", () => {
    const set = SortedKeys.fromUnsorted(keysWithTies(1_000), 7);
    const bytes = encodePartition(set);
    expect(bytes.length).toBe(4 + 4 + 8 + 4 + set.size * KEY_BYTES);
    expectAnswers(decodePartition(bytes, "test"), entriesOf(set));
  });

  it("should read a partition blob back as written, and one in the older sectioned form (head version 1)", () => {
    const keys = keysWithTies(3_000);
    const set = SortedKeys.merge(SortedKeys.fromUnsorted(keys.subarray(0, 1_000 * KEY_BYTES), 7), SortedKeys.fromUnsorted(keys.subarray(1_000 * KEY_BYTES), 9));
    expectAnswers(decodePartition(encodePartition(set), "test"), entriesOf(set));
    const older = encodeSections([
      { partition: "r/2024-01-01T00", expiresAt: 7, keys: keys.subarray(0, 1_000 * KEY_BYTES) },
      { partition: "r/2024-01-01T00", expiresAt: 9, keys: keys.subarray(1_000 * KEY_BYTES) },
    ]);
    expectAnswers(decodePartition(older, "test"), entriesOf(set));
  });

  it("should refuse a partition blob with keys out of order or an expiry position out of range, naming it", () => {
    const set = SortedKeys.merge(SortedKeys.fromUnsorted(randomBytes(5 * KEY_BYTES), 1), SortedKeys.fromUnsorted(randomBytes(5 * KEY_BYTES), 2));
    const bytes = encodePartition(set);
    const keysAt = bytes.length - set.size - set.size * KEY_BYTES;
    const swapped = Buffer.from(bytes);
    swapped.set(bytes.subarray(keysAt, keysAt + KEY_BYTES), keysAt + KEY_BYTES);
    swapped.set(bytes.subarray(keysAt + KEY_BYTES, keysAt + 2 * KEY_BYTES), keysAt);
    const badPosition = Buffer.from(bytes);
    badPosition[bytes.length - 1] = 2;
    for (const damaged of [swapped, badPosition, bytes.subarray(0, bytes.length - 1)]) {
      expect(() => decodePartition(damaged, "parts/r/x/y")).toThrow(/^State blob parts\/r\/x\/y is not in auditfeed's format/);
      expect(() => decodePartition(damaged, "parts/r/x/y")).toThrow(expect.objectContaining({ code: "AF_ERR_STATE_UNREADABLE" }) as Error);
    }
  });
});
