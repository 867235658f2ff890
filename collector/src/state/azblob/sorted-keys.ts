/**
 * A set of index entries held the way a partition blob stores them: the 16-byte keys sorted (byte order) and unique in
 * one buffer, found by binary search, and per key the position of its expiry in a small table (the entries of one
 * commit share an expiry, so a partition has few distinct ones). About 17 bytes per entry in memory, outside V8's
 * heap, where a `Map` of 16-character strings took about 100 bytes of heap per entry.
 */
export const KEY_BYTES = 16;

/** Per key, the position of its expiry in `expiries`: one byte per key while a table has at most 256 entries. */
export type ExpiryIndex = Uint8Array | Uint16Array | Uint32Array;

export class SortedKeys {
  static readonly EMPTY = new SortedKeys(new Uint8Array(0), new Uint8Array(0), []);

  /** `index.length` keys of KEY_BYTES, strictly ascending. */
  readonly keys: Uint8Array;
  /** `index[i]`: the position of key i's expiry in `expiries`. */
  readonly index: ExpiryIndex;
  readonly expiries: readonly number[];

  constructor(keys: Uint8Array, index: ExpiryIndex, expiries: readonly number[]) {
    this.keys = keys;
    this.index = index;
    this.expiries = expiries;
  }

  get size(): number {
    return this.index.length;
  }

  /** The expiry (epoch ms) of the key at `at` in `probe`, or -Infinity when it is not here. */
  expiryOf(probe: Uint8Array, at = 0): number {
    const found = lowerBound(this.keys, 0, this.size, probe, at);
    if (found === this.size || compareAt(this.keys, found * KEY_BYTES, probe, at) !== 0) return -Infinity;
    return this.expiries[this.index[found] as number] as number;
  }

  /** The latest expiry of any entry (-Infinity when empty). */
  latestExpiry(): number {
    let latest = -Infinity;
    for (const expiresAt of this.expiries) if (expiresAt > latest) latest = expiresAt;
    return this.size === 0 ? -Infinity : latest;
  }

  /** Entries that are still alive at `now` (expiry after it); `this` when none has expired. */
  live(now: number): SortedKeys {
    if (this.expiries.every((expiresAt) => expiresAt > now)) return this;
    const table = new Table();
    const remap = this.expiries.map((expiresAt) => (expiresAt > now ? table.position(expiresAt) : -1));
    const keys = new Uint8Array(this.size * KEY_BYTES);
    const index = expiryIndex(this.size, table.expiries.length);
    let kept = 0;
    for (let at = 0; at < this.size; at++) {
      const position = remap[this.index[at] as number] as number;
      if (position < 0) continue;
      copyKey(this.keys, at * KEY_BYTES, keys, kept * KEY_BYTES);
      index[kept++] = position;
    }
    return new SortedKeys(keys.subarray(0, kept * KEY_BYTES), index.subarray(0, kept), table.expiries);
  }

  /**
   * Keys in any order, with duplicates, all expiring at `expiresAt`. Sorted without a comparator per pair: each key's
   * first 32 bits and its position are packed into one float and sorted natively; only keys whose first bits are
   * equal (rare: GUIDs and hashes are random) are ordered by a comparison of their whole bytes.
   */
  static fromUnsorted(keys: Uint8Array, expiresAt: number): SortedKeys {
    const count = keys.length / KEY_BYTES;
    if (count === 0) return SortedKeys.EMPTY;
    const positionBits = Math.max(1, Math.ceil(Math.log2(count)));
    // position + prefix must fit the 53 bits a double holds exactly.
    const prefixBits = Math.min(32, 53 - positionBits);
    const prefixScale = 2 ** (32 - prefixBits);
    const positionScale = 2 ** positionBits;
    const packed = new Float64Array(count);
    for (let at = 0; at < count; at++) packed[at] = Math.floor(word(keys, at * KEY_BYTES) / prefixScale) * positionScale + at;
    packed.sort();
    const order = new Uint32Array(count);
    for (let at = 0; at < count; at++) order[at] = (packed[at] as number) % positionScale;
    const prefixOf = (at: number): number => ((packed[at] as number) - (order[at] as number)) / positionScale;
    for (let start = 0; start < count;) {
      let end = start + 1;
      while (end < count && prefixOf(end) === prefixOf(start)) end++;
      if (end - start > 1) order.subarray(start, end).sort((a, b) => compareAt(keys, a * KEY_BYTES, keys, b * KEY_BYTES));
      start = end;
    }
    const sorted = new Uint8Array(count * KEY_BYTES);
    let unique = 0;
    for (let at = 0; at < count; at++) {
      const from = (order[at] as number) * KEY_BYTES;
      if (unique > 0 && compareAt(sorted, (unique - 1) * KEY_BYTES, keys, from) === 0) continue;
      copyKey(keys, from, sorted, unique++ * KEY_BYTES);
    }
    return new SortedKeys(sorted.subarray(0, unique * KEY_BYTES), new Uint8Array(unique), [expiresAt]);
  }

  /**
   * The union of two sets; a key in both keeps its later expiry. Runs of keys from one side that fall between two keys
   * of the other are found by galloping and copied whole, so merging a few keys into many costs little more than a copy.
   */
  static merge(a: SortedKeys, b: SortedKeys): SortedKeys {
    if (b.size === 0) return a;
    if (a.size === 0) return b;
    const table = new Table();
    const fromA = a.expiries.map((expiresAt) => table.position(expiresAt));
    const fromB = b.expiries.map((expiresAt) => table.position(expiresAt));
    const keys = new Uint8Array((a.size + b.size) * KEY_BYTES);
    const index = expiryIndex(a.size + b.size, table.expiries.length);
    let out = 0;
    const copy = (side: SortedKeys, remap: number[], from: number, to: number): void => {
      if (to - from === 1) copyKey(side.keys, from * KEY_BYTES, keys, out * KEY_BYTES);
      else keys.set(side.keys.subarray(from * KEY_BYTES, to * KEY_BYTES), out * KEY_BYTES);
      for (let at = from; at < to; at++) index[out++] = remap[side.index[at] as number] as number;
    };
    let i = 0;
    let j = 0;
    while (i < a.size && j < b.size) {
      const order = compareAt(a.keys, i * KEY_BYTES, b.keys, j * KEY_BYTES);
      if (order < 0) {
        const end = gallop(a.keys, i + 1, a.size, b.keys, j * KEY_BYTES);
        copy(a, fromA, i, end);
        i = end;
      } else if (order > 0) {
        const end = gallop(b.keys, j + 1, b.size, a.keys, i * KEY_BYTES);
        copy(b, fromB, j, end);
        j = end;
      } else {
        const expiryA = a.expiries[a.index[i] as number] as number;
        const expiryB = b.expiries[b.index[j] as number] as number;
        if (expiryA >= expiryB) copy(a, fromA, i, i + 1);
        else copy(b, fromB, j, j + 1);
        i++;
        j++;
      }
    }
    copy(a, fromA, i, a.size);
    copy(b, fromB, j, b.size);
    return new SortedKeys(keys.subarray(0, out * KEY_BYTES), index.subarray(0, out), table.expiries);
  }
}

/** Collects keys of one expiry in a growing buffer (no object per key) for `SortedKeys.fromUnsorted`. */
export class KeyList {
  #bytes = new Uint8Array(64 * KEY_BYTES);
  #count = 0;

  readonly expiresAt: number;

  constructor(expiresAt: number) {
    this.expiresAt = expiresAt;
  }

  get count(): number {
    return this.#count;
  }

  push(key: Uint8Array): void {
    if ((this.#count + 1) * KEY_BYTES > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes.set(key, this.#count++ * KEY_BYTES);
  }

  /** The keys pushed, in order (a view: valid until the next push). */
  bytes(): Uint8Array {
    return this.#bytes.subarray(0, this.#count * KEY_BYTES);
  }
}

/** Distinct expiries in the order first seen, and each one's position. */
class Table {
  readonly expiries: number[] = [];
  readonly #positions = new Map<number, number>();

  position(expiresAt: number): number {
    let position = this.#positions.get(expiresAt);
    if (position === undefined) {
      position = this.expiries.push(expiresAt) - 1;
      this.#positions.set(expiresAt, position);
    }
    return position;
  }
}

/** An index array for `length` keys whose expiry table has `tableSize` entries: 1, 2 or 4 bytes per key. */
export function expiryIndex(length: number, tableSize: number): ExpiryIndex {
  if (tableSize <= 0x100) return new Uint8Array(length);
  if (tableSize <= 0x10000) return new Uint16Array(length);
  return new Uint32Array(length);
}

/** The big-endian 32-bit word at `at`: comparing keys word by word is comparing their bytes. */
function word(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number)) >>> 0;
}

/** Byte order of the key at `at` in `a` and the key at `bt` in `b`: negative, zero or positive. */
export function compareAt(a: Uint8Array, at: number, b: Uint8Array, bt: number): number {
  for (let offset = 0; offset < KEY_BYTES; offset += 4) {
    const x = word(a, at + offset);
    const y = word(b, bt + offset);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The first position in [from, to) of sorted `keys` whose key is not below the probe. */
function lowerBound(keys: Uint8Array, from: number, to: number, probe: Uint8Array, at: number): number {
  // The probe's first word is read once; the others only when a key starts like the probe (rare).
  const first = word(probe, at);
  let low = from;
  let high = to;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const head = word(keys, middle * KEY_BYTES);
    if (head < first || (head === first && compareAt(keys, middle * KEY_BYTES, probe, at) < 0)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Copies the key at `from` in `source` to the key at `to` in `target` (a loop: cheaper than a view per key). */
function copyKey(source: Uint8Array, from: number, target: Uint8Array, to: number): void {
  for (let offset = 0; offset < KEY_BYTES; offset++) target[to + offset] = source[from + offset] as number;
}

/** `lowerBound`, probing from `from` in growing steps first: cheap when the answer is near `from`. */
function gallop(keys: Uint8Array, from: number, to: number, probe: Uint8Array, at: number): number {
  let low = from;
  let high = from;
  let step = 1;
  while (high < to && compareAt(keys, high * KEY_BYTES, probe, at) < 0) {
    low = high + 1;
    high += step;
    step *= 2;
  }
  return lowerBound(keys, low, Math.min(high, to), probe, at);
}
