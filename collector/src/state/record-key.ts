/**
 * The dedupe index key of a record `Id`. Audit record ids are GUIDs, stored as their 16 bytes (a BLOB) rather than
 * 36 characters of text, which makes the index less than half the size. Any other id is stored as TEXT: SQLite never
 * considers a BLOB equal to a TEXT value, so the two forms cannot collide and the index stays exact.
 * GUIDs compare case-insensitively, as GUIDs do.
 */
export type RecordKey = Uint8Array | string;

export function recordKey(id: string): RecordKey {
  if (id.length !== 36 || id[8] !== "-" || id[13] !== "-" || id[18] !== "-" || id[23] !== "-") return id;
  // Hex decoding stops at the first character that is not a hex digit, so 16 bytes means all 32 were.
  const bytes = Buffer.from(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24), "hex");
  return bytes.length === 16 ? bytes : id;
}

/** The same key as `recordKey(id)` would give, as a string usable in a Map (BLOB keys become hex, TEXT keys get a prefix). */
export function recordKeyText(key: RecordKey): string {
  return typeof key === "string" ? `t:${key}` : `b:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")}`;
}
