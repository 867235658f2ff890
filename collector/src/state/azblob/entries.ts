/**
 * The entries of the Blob store's two indexes (delivered record ids, committed blob ids), their partitions, and the
 * binary form in which partition blobs and commit blobs hold them.
 *
 * An entry is a 16-byte key and the instant (epoch ms) after which it no longer counts. A GUID record id is its own
 * 16 bytes (case-insensitive, as GUIDs are); any other id, and every content id, is the first 16 bytes of its SHA-256
 * under a prefix that keeps the kinds apart. 128 bits make an accidental collision as unlikely as a GUID clash.
 *
 * Partitions: a record id lives in `r/<hour of its CreationTime>` (a duplicate has the same CreationTime, so a lookup
 * reads only the partitions of the records in hand); a content id in `b/<hour of its contentExpiration>` (the
 * listing gives it, and re-listing covers a bounded span of recent blobs). A missing or unreadable CreationTime
 * goes to `r/none`.
 *
 * Binary form: "AFS1", then sections; a section is the partition name (u16 length + UTF-8), the expiry (f64), the
 * entry count (u32) and that many 16-byte keys. A partition blob holds one partition's sections; a commit blob the
 * sections of every partition the commit touched. Little-endian throughout.
 */
import { createHash } from "node:crypto";
import { AuditfeedError } from "../../errors.ts";
import { creationHour } from "../record-partition.ts";

export const KEY_BYTES = 16;
const MAGIC = Buffer.from("AFS1", "latin1");

/** Keys as 16-character latin1 strings: a Map key costs far less as a short string than as a Buffer. */
export type Key = string;

/** Entries of one partition that share an expiry (a commit adds one section per partition it touches). */
export interface Section {
  readonly partition: string;
  readonly expiresAt: number;
  readonly keys: readonly Key[];
}

export function recordPartition(creationTime: string | null): string {
  return `r/${creationHour(creationTime) ?? "none"}`;
}

/** `contentExpiration` was validated as an instant by the caller (commit) or comes from the API (lookup). */
export function blobPartition(contentExpiration: string): string {
  const at = Date.parse(contentExpiration);
  return `b/${Number.isFinite(at) ? new Date(at).toISOString().slice(0, 13) : "none"}`;
}

export function recordKey(id: string): Key {
  if (id.length === 36 && id[8] === "-" && id[13] === "-" && id[18] === "-" && id[23] === "-") {
    const bytes = Buffer.from(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24), "hex");
    // Hex decoding stops at the first character that is not a hex digit, so 16 bytes means all 32 were.
    if (bytes.length === KEY_BYTES) return bytes.toString("latin1");
  }
  return hashKey(`record:${id}`);
}

export function blobKey(contentId: string): Key {
  return hashKey(`blob:${contentId}`);
}

function hashKey(text: string): Key {
  return createHash("sha256").update(text, "utf8").digest().subarray(0, KEY_BYTES).toString("latin1");
}

export function encodeSections(sections: readonly Section[]): Buffer {
  let size = MAGIC.length;
  for (const section of sections) size += 2 + Buffer.byteLength(section.partition) + 8 + 4 + section.keys.length * KEY_BYTES;
  const out = Buffer.allocUnsafe(size);
  let at = MAGIC.copy(out, 0);
  for (const section of sections) {
    const nameLength = out.write(section.partition, at + 2, "utf8");
    out.writeUInt16LE(nameLength, at);
    at += 2 + nameLength;
    out.writeDoubleLE(section.expiresAt, at);
    out.writeUInt32LE(section.keys.length, at + 8);
    at += 12;
    for (const key of section.keys) at += out.write(key, at, "latin1");
  }
  return out;
}

/** Calls `onSection` for every section; `where` names the blob in the error a damaged one gives. */
export function decodeSections(bytes: Buffer, where: string, onSection: (partition: string, expiresAt: number, keys: Key[]) => void): void {
  const damaged = (): AuditfeedError =>
    new AuditfeedError(
      "AF_ERR_STATE_UNREADABLE",
      `State blob ${where} is not in auditfeed's format (or was damaged). Point AUDITFEED_STATE at a new prefix to start over (which re-delivers the look-back window).`,
    );
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw damaged();
  let at = MAGIC.length;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw damaged();
    const nameLength = bytes.readUInt16LE(at);
    if (at + 2 + nameLength + 12 > bytes.length) throw damaged();
    const partition = bytes.toString("utf8", at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const expiresAt = bytes.readDoubleLE(at);
    const count = bytes.readUInt32LE(at + 8);
    at += 12;
    if (at + count * KEY_BYTES > bytes.length) throw damaged();
    const keys: Key[] = new Array<Key>(count);
    for (let index = 0; index < count; index++, at += KEY_BYTES) keys[index] = bytes.toString("latin1", at, at + KEY_BYTES);
    onSection(partition, expiresAt, keys);
  }
}
