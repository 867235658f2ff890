/**
 * The dedupe index key of a record `Id`. Audit record ids are GUIDs, stored as their 16 bytes (a BLOB) rather than
 * 36 characters of text, which makes the index less than half the size. Any other id is stored as TEXT: SQLite never
 * considers a BLOB equal to a TEXT value, so the two forms cannot collide and the index stays exact.
 * GUIDs compare case-insensitively, as GUIDs do.
 */
export type RecordKey = Uint8Array | string;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function recordKey(id: string): RecordKey {
  return GUID.test(id) ? Buffer.from(id.replaceAll("-", ""), "hex") : id;
}

/** The same key as `recordKey(id)` would give, as a string usable in a Map (BLOB keys become hex, TEXT keys get a prefix). */
export function recordKeyText(key: RecordKey): string {
  return typeof key === "string" ? `t:${key}` : `b:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex")}`;
}
