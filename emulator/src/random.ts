/**
 * Deterministic, allocation-free randomness: every value the emulator invents is a pure function of the seed and
 * a few integer coordinates (tenant, content type, blob index, record index), so nothing has to be stored.
 */

/** 32-bit finaliser of MurmurHash3: a good avalanche for a single word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(h: number, value: number): number {
  const high = Math.floor(value / 4294967296) >>> 0;
  h = (fmix32(h ^ (value >>> 0)) + 0x7f4a7c15) >>> 0;
  return high === 0 ? h : (fmix32(h ^ high) + 0x7f4a7c15) >>> 0;
}

/**
 * Hash of up to five integers (larger than 32 bits are split into their high and low words).
 * Fixed parameters rather than a rest array: this runs several times per generated record.
 */
export function hashInts(a: number, b = 0, c = 0, d = 0, e = 0): number {
  return fmix32(mix(mix(mix(mix(mix(0x9e3779b9, a), b), c), d), e));
}

/** Hash of a string, to turn tenant ids into a number once. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** A uniform fraction in [0, 1) for the given coordinates. */
export function fraction(a: number, b = 0, c = 0, d = 0, e = 0): number {
  return hashInts(a, b, c, d, e) / 4294967296;
}

/** A small sequential generator (mulberry32) for the many values of one record. */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError("Random.pick needs a non-empty list.");
    return item;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  hex(digits: number): string {
    let out = "";
    while (out.length < digits) out += hex8((this.next() * 4294967296) >>> 0);
    return out.length === digits ? out : out.slice(0, digits);
  }

  guid(): string {
    return formatGuid(this.hex(32));
  }
}

/** Byte-to-hex table: Number#toString(16) is the hot spot of record generation otherwise. */
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

function hex8(value: number): string {
  return (BYTE_HEX[value >>> 24] ?? "") + (BYTE_HEX[(value >>> 16) & 255] ?? "") + (BYTE_HEX[(value >>> 8) & 255] ?? "") + (BYTE_HEX[value & 255] ?? "");
}

function formatGuid(hex: string): string {
  const variant = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A GUID that is unique for every distinct (left, right) pair under one key: the pair goes through a 64-bit Feistel
 * permutation (a bijection), so ids never collide however many millions are generated, yet look random.
 */
export function uniqueGuid(key: number, left: number, right: number): string {
  let l = left >>> 0;
  let r = right >>> 0;
  for (let round = 0; round < 4; round += 1) {
    const next = (l ^ hashInts(key, round, r)) >>> 0;
    l = r;
    r = next;
  }
  const tail = hashInts(key, l, r, 7);
  const hex = hex8(l) + hex8(r) + hex8(tail) + hex8(hashInts(tail, key));
  // All 64 permuted bits are kept; the RFC 4122 variant bits are taken from the non-unique tail.
  const variant = ((parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
