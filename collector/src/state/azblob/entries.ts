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
 * Binary forms, little-endian throughout:
 * - a commit blob, "AFS1", then sections; a section is the partition name (u16 length + UTF-8), the expiry (f64), the
 *   entry count (u32) and that many 16-byte keys: the sections of every partition the commit touched;
 * - a partition blob, "AFP1", the expiry count m (u32), m expiries (f64), the key count n (u32), n keys sorted in
 *   byte order without repeats, then n expiry positions of 1, 2 or 4 bytes (by m: at most 256, 65,536, more; none
 *   when m is 1, as in a partition written by one commit, so that it costs 16 bytes per id like a section): the
 *   form `SortedKeys` holds in memory, so loading a partition is a copy, not a sort. Partition blobs written before
 *   this form (head version 1) are in the commit blobs' form, one section per expiry, and are read as such.
 */
import { createHash } from "node:crypto";
import { AuditfeedError } from "../../errors.ts";
import { recordKey as guidOrText } from "../record-key.ts";
import { creationHour } from "../record-partition.ts";
import { compareAt, expiryIndex, KEY_BYTES, SortedKeys, type ExpiryIndex } from "./sorted-keys.ts";

const SECTIONS = Buffer.from("AFS1", "latin1");
const PARTITION = Buffer.from("AFP1", "latin1");

/** A key: KEY_BYTES bytes. */
export type Key = Uint8Array;

/** Entries of one partition that share an expiry (a commit adds one section per partition it touches). */
export interface Section {
  readonly partition: string;
  readonly expiresAt: number;
  /** The keys, KEY_BYTES each, back to back. */
  readonly keys: Uint8Array;
}

export function recordPartition(creationTime: string | null): string {
  return `r/${creationHour(creationTime) ?? "none"}`;
}

/** `contentExpiration` was validated as an instant by the caller (commit) or comes from the API (lookup). */
export function blobPartition(contentExpiration: string): string {
  const at = Date.parse(contentExpiration);
  return `b/${Number.isFinite(at) ? new Date(at).toISOString().slice(0, 13) : "none"}`;
}

/** A GUID as its 16 bytes (decoded as the SQLite store does), any other id as a hash. */
export function recordKey(id: string): Key {
  const key = guidOrText(id);
  return typeof key === "string" ? hashKey(`record:${id}`) : key;
}

export function blobKey(contentId: string): Key {
  return hashKey(`blob:${contentId}`);
}

function hashKey(text: string): Key {
  return createHash("sha256").update(text, "utf8").digest().subarray(0, KEY_BYTES);
}

export function encodeSections(sections: readonly Section[]): Buffer {
  let size = SECTIONS.length;
  for (const section of sections) size += 2 + Buffer.byteLength(section.partition) + 8 + 4 + section.keys.length;
  const out = Buffer.allocUnsafe(size);
  let at = SECTIONS.copy(out, 0);
  for (const section of sections) {
    const nameLength = out.write(section.partition, at + 2, "utf8");
    out.writeUInt16LE(nameLength, at);
    at += 2 + nameLength;
    out.writeDoubleLE(section.expiresAt, at);
    out.writeUInt32LE(section.keys.length / KEY_BYTES, at + 8);
    at += 12;
    out.set(section.keys, at);
    at += section.keys.length;
  }
  return out;
}

/** Calls `onSection` for every section; `where` names the blob in the error a damaged one gives. */
export function decodeSections(bytes: Buffer, where: string, onSection: (partition: string, expiresAt: number, keys: Uint8Array) => void): void {
  if (!startsWith(bytes, SECTIONS)) throw damaged(where);
  let at = SECTIONS.length;
  while (at < bytes.length) {
    if (at + 2 > bytes.length) throw damaged(where);
    const nameLength = bytes.readUInt16LE(at);
    if (at + 2 + nameLength + 12 > bytes.length) throw damaged(where);
    const partition = bytes.toString("utf8", at + 2, at + 2 + nameLength);
    at += 2 + nameLength;
    const expiresAt = bytes.readDoubleLE(at);
    const count = bytes.readUInt32LE(at + 8);
    at += 12;
    if (at + count * KEY_BYTES > bytes.length) throw damaged(where);
    onSection(partition, expiresAt, bytes.subarray(at, at + count * KEY_BYTES));
    at += count * KEY_BYTES;
  }
}

export function encodePartition(entries: SortedKeys): Buffer {
  const m = entries.expiries.length;
  const n = entries.size;
  const width = positionBytes(m, entries.index);
  const out = Buffer.allocUnsafe(PARTITION.length + 4 + m * 8 + 4 + n * KEY_BYTES + n * width);
  let at = PARTITION.copy(out, 0);
  at = out.writeUInt32LE(m, at);
  for (const expiresAt of entries.expiries) at = out.writeDoubleLE(expiresAt, at);
  at = out.writeUInt32LE(n, at);
  out.set(entries.keys, at);
  at += n * KEY_BYTES;
  if (width > 0) {
    for (const position of entries.index)
      at = width === 1 ? out.writeUInt8(position, at) : width === 2 ? out.writeUInt16LE(position, at) : out.writeUInt32LE(position, at);
  }
  return out;
}

/** A partition blob in memory; checked whole (a key out of order would make binary search miss entries silently). */
export function decodePartition(bytes: Buffer, where: string): SortedKeys {
  if (startsWith(bytes, SECTIONS)) {
    let entries = SortedKeys.EMPTY;
    decodeSections(bytes, where, (_, expiresAt, keys) => (entries = SortedKeys.merge(entries, SortedKeys.fromUnsorted(keys, expiresAt))));
    return entries;
  }
  if (!startsWith(bytes, PARTITION) || bytes.length < PARTITION.length + 4) throw damaged(where);
  let at = PARTITION.length;
  const m = bytes.readUInt32LE(at);
  at += 4;
  if (at + m * 8 + 4 > bytes.length) throw damaged(where);
  const expiries: number[] = [];
  for (let position = 0; position < m; position++, at += 8) expiries.push(bytes.readDoubleLE(at));
  const n = bytes.readUInt32LE(at);
  at += 4;
  const index = expiryIndex(n, m);
  const width = positionBytes(m, index);
  if (at + n * (KEY_BYTES + width) !== bytes.length) throw damaged(where);
  // Copied out of the download, which would otherwise stay alive as long as the keys.
  const keys = new Uint8Array(bytes.subarray(at, at + n * KEY_BYTES));
  at += n * KEY_BYTES;
  for (let position = 0; position < n; position++, at += width) {
    if (width > 0) index[position] = width === 1 ? bytes.readUInt8(at) : width === 2 ? bytes.readUInt16LE(at) : bytes.readUInt32LE(at);
    if ((index[position] as number) >= m) throw damaged(where);
    if (position > 0 && compareAt(keys, (position - 1) * KEY_BYTES, keys, position * KEY_BYTES) >= 0) throw damaged(where);
  }
  return new SortedKeys(keys, index, expiries);
}

/** Bytes per stored expiry position: none when there is one expiry (every position is 0). */
function positionBytes(expiries: number, index: ExpiryIndex): number {
  return expiries <= 1 ? 0 : index.BYTES_PER_ELEMENT;
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

function damaged(where: string): AuditfeedError {
  return new AuditfeedError(
    "AF_ERR_STATE_UNREADABLE",
    `State blob ${where} is not in auditfeed's format (or was damaged). Point AUDITFEED_STATE at a new prefix to start over (which re-delivers the look-back window).`,
  );
}
