/**
 * The dedupe index key of a record `Id`. Audit record ids are GUIDs, stored as their 16 bytes (a BLOB) rather than
 * 36 characters of text, which makes the index less than half the size. Any other id is stored as TEXT: SQLite never
 * considers a BLOB equal to a TEXT value, so the two forms cannot collide and the index stays exact.
 * GUIDs compare case-insensitively, as GUIDs do.
 */
export type RecordKey = Uint8Array | string;

/** Hex digit value per character code; -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX["0123456789abcdef".charCodeAt(digit)] = digit;
  HEX["0123456789ABCDEF".charCodeAt(digit)] = digit;
}
/** Where each of a GUID's 16 bytes starts in its 36 characters (the dashes sit at 8, 13, 18 and 23). */
const BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Decoded by hand: one small allocation per id, where slicing and `Buffer.from(hex)` took about a microsecond. */
export function recordKey(id: string): RecordKey {
  const bytes = new Uint8Array(16);
  return guidKeyInto(id, bytes, 0) ? bytes : id;
}

/**
 * Writes the 16-byte key of a GUID id into `target` at `offset` and returns true; returns false (with `target` partly
 * written) for any other id, whose key is its text. Lets a caller gather many keys in one buffer without an allocation
 * per id.
 */
export function guidKeyInto(id: string, target: Uint8Array, offset: number): boolean {
  if (id.length !== 36 || id.charCodeAt(8) !== 45 || id.charCodeAt(13) !== 45 || id.charCodeAt(18) !== 45 || id.charCodeAt(23) !== 45) return false;
  for (let index = 0; index < 16; index++) {
    const at = BYTE_AT[index] as number;
    const high = HEX[id.charCodeAt(at)] ?? -1;
    const low = HEX[id.charCodeAt(at + 1)] ?? -1;
    if (high < 0 || low < 0) return false;
    target[offset + index] = (high << 4) | low;
  }
  return true;
}

/**
 * The same key as a string usable in a Map: a GUID's lowercase text, any other id as it is. The forms cannot collide:
 * an id kept as text is never a well-formed GUID. `keyTextOf(id, recordKey(id))` gives it without re-encoding.
 */
export function recordKeyText(key: RecordKey): string {
  if (typeof key === "string") return key;
  let text = "";
  for (let index = 0; index < 16; index++) text += (index === 4 || index === 6 || index === 8 || index === 10 ? "-" : "") + BYTE_HEX[key[index] as number];
  return text;
}

export function keyTextOf(id: string, key: RecordKey): string {
  return typeof key === "string" ? key : id.toLowerCase();
}
