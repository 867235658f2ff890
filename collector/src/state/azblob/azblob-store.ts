/**
 * The StateStore of the Container Apps Job: state in Azure Blob storage, under `<container>/<prefix>`, one writer at
 * a time by a lease on the head blob. Layout, cost per run and the crash story: docs/ARCHITECTURE.md,
 * "State in Azure Blob storage".
 *
 * - `head.json`: cursors, sink checkpoint, the failed blobs (few), which partition blob holds each partition, the commit blobs not yet
 *   compacted, garbage to delete. Every commit rewrites it, conditioned on the lease id and on its last ETag: that
 *   write is the commit point.
 * - `commits/<run>-<n>`: one per commit that adds index entries, written (create-only) before the head names it.
 * - `parts/<partition>/<run>-<n>`: a partition of the record-id index (by CreationTime hour) or of the blob ledger
 *   (by contentExpiration hour), rewritten whole by a compaction (end of a cycle, every few commits, close).
 * A run reads the head, the few commit blobs a killed run left uncompacted, and only the partitions its lookups fall
 * into: the cost of a run follows its new work, not the history kept.
 */
import { randomBytes } from "node:crypto";
import { buffer } from "node:stream/consumers";
import type { TokenCredential } from "@azure/identity";
import { ContainerClient, type BlobRequestConditions, type StorageSharedKeyCredential } from "@azure/storage-blob";
import { AuditfeedError, isAuditfeedError } from "../../errors.ts";
import { pool } from "../../storage/pool.ts";
import { isContentType } from "../../source/content.ts";
import {
  EMPTY_RUN_STATS,
  type BlobRef,
  type Commit,
  type ContentTypeCursor,
  type FailedBlob,
  type RecordRef,
  type StateSnapshot,
  type StateStore,
} from "../store.ts";
import {
  blobKey,
  blobPartition,
  decodePartition,
  decodeSections,
  encodePartition,
  encodeSections,
  recordKey,
  recordPartition,
  type Section,
} from "./entries.ts";
import { emptyHead, HEAD_VERSION, parseHead, type Head, type PartitionRef } from "./head.ts";
import { isLeaseLostCode, StateLease } from "./lease.ts";
import { PartitionCache, type Partition } from "./partitions.ts";
import { KeyList } from "./sorted-keys.ts";
import { storageErrorCode, storageStatus } from "../../storage/storage-errors.ts";
import { orphans, sweepDue } from "./sweep.ts";

export interface AzureBlobStateStoreOptions {
  /** The account's blob endpoint: `https://<account>.blob.core.windows.net` (Azurite: `http://127.0.0.1:<port>/<account>`). */
  readonly accountUrl: string;
  readonly container: string;
  /** Folder in the container, "" for its root; one collector's state per prefix. */
  readonly prefix: string;
  /** The managed identity (in Azure), or the account key (Azurite, local tests). */
  readonly credential: TokenCredential | StorageSharedKeyCredential;
  /** How long a delivered record `Id` is remembered for dedupe after its commit, in milliseconds. */
  readonly dedupeHorizonMs: number;
  /** The clock that decides which dedupe entries are still within the horizon. */
  readonly now?: () => Date;
}

/** Requests, and payload bytes each way, since open: the state's cost (the benchmark prints it). */
export interface StateTraffic {
  requests: number;
  bytesUploaded: number;
  bytesDownloaded: number;
}

/** A compaction folds the commit blobs into partitions after this many commits (and at each cycle's end). */
const COMPACT_AFTER_COMMITS = 16;
/** Partition blobs fetched or written at the same time. */
const CONCURRENCY = 8;
/** Entries kept in memory before clean partitions are forgotten (about 17 bytes each, outside V8's heap). */
const MAX_CACHED_ENTRIES = 2_000_000;
const REQUEST_TIMEOUT_MS = 30_000;
const HEAD = "head.json";

export class AzureBlobStateStore implements StateStore {
  readonly #options: AzureBlobStateStoreOptions;
  readonly #container: ContainerClient;
  readonly #prefix: string;
  readonly #where: string;
  readonly #now: () => Date;
  /** Names this run's blobs apart from any other run's, so two runs can never write the same immutable blob. */
  readonly #run = randomBytes(6).toString("hex");
  #sequence = 0;
  #lease: StateLease | undefined;
  #head: Head | undefined;
  #etag: string | undefined;
  /** The head this run opened still listed commits: the run before died before compacting them, maybe mid-compaction. */
  #diedMidway = false;
  readonly #cache = new PartitionCache();
  readonly traffic: StateTraffic = { requests: 0, bytesUploaded: 0, bytesDownloaded: 0 };

  constructor(options: AzureBlobStateStoreOptions) {
    if (!Number.isSafeInteger(options.dedupeHorizonMs) || options.dedupeHorizonMs <= 0) {
      throw new RangeError(`AzureBlobStateStore: \`dedupeHorizonMs\` must be a positive integer of milliseconds; got ${String(options.dedupeHorizonMs)}.`);
    }
    this.#options = options;
    this.#prefix = options.prefix === "" ? "" : `${options.prefix.replace(/\/+$/, "")}/`;
    this.#where = `${options.accountUrl.replace(/\/+$/, "")}/${options.container}/${this.#prefix}`;
    this.#now = options.now ?? (() => new Date());
    this.#container = new ContainerClient(`${options.accountUrl.replace(/\/+$/, "")}/${options.container}`, options.credential, {
      retryOptions: { maxTries: 4, tryTimeoutInMs: REQUEST_TIMEOUT_MS },
    });
  }

  async open(): Promise<StateSnapshot> {
    if (this.#lease !== undefined) throw new Error(`State store ${this.#where} is already open.`);
    const headBlob = this.#container.getBlobClient(this.#name(HEAD));
    const lease = new StateLease(headBlob.getBlobLeaseClient(), this.#where);
    await this.#guard("open the state", async () => {
      try {
        this.traffic.requests++;
        await lease.acquire();
      } catch (error) {
        if (storageErrorCode(error) !== "BlobNotFound") throw error;
        // A new state: the head must exist before it can be leased. Create-only, so a run racing this one keeps its head.
        await this.#upload(HEAD, Buffer.from(JSON.stringify(emptyHead())), { ifNoneMatch: "*" }).catch((created: unknown) => {
          if (storageStatus(created) !== 409 && storageStatus(created) !== 412) throw created;
        });
        this.traffic.requests++;
        await lease.acquire();
      }
    });
    this.#lease = lease;
    try {
      const { bytes, etag } = await this.#guard("read the state", () => this.#download(HEAD, { leaseId: lease.id }));
      const head = parseHead(bytes, this.#where + HEAD);
      this.#head = head;
      this.#etag = etag;
      this.#diedMidway = head.commits.length > 0;
      // Commits a killed run made durable but did not compact yet. Expired entries are not dropped here: the clock
      // that decides expiry is the server's, which the collector has not measured yet when it opens the state.
      for (const commit of head.commits) {
        const { bytes: sections } = await this.#guard("read the state", () => this.#download(commit));
        decodeSections(sections, this.#where + commit, (partition, expiresAt, keys) =>
          this.#cache.apply([{ partition, expiresAt, keys }], head.partitions, true),
        );
      }
      await this.#collectGarbage();
      return { sinkCheckpoint: head.sinkCheckpoint, cursors: { ...head.cursors }, stats: head.stats ?? EMPTY_RUN_STATS };
    } catch (error) {
      await this.#closeLease();
      throw error;
    }
  }

  async committedBlobs(blobs: readonly BlobRef[]): Promise<Set<string>> {
    const byPartition = groupBy(blobs, (blob) => blobPartition(blob.contentExpiration));
    const partitions = await this.#loaded([...byPartition.keys()]);
    const found = new Set<string>();
    const pruned = this.#opened().prunedThrough ?? -Infinity;
    for (const [name, group] of byPartition) {
      const partition = partitions.get(name) as Partition;
      // Ledger entries count until pruned, as in the SQLite store: at their keepUntil, when the API stops listing the blob.
      for (const blob of group) if (this.#cache.expiryOf(partition, blobKey(blob.contentId)) > pruned) found.add(blob.contentId);
    }
    return found;
  }

  async deliveredRecords(records: readonly RecordRef[]): Promise<Set<string>> {
    const byPartition = groupBy(records, (record) => recordPartition(record.creationTime));
    const partitions = await this.#loaded([...byPartition.keys()]);
    const now = this.#now().getTime();
    const found = new Set<string>();
    for (const [name, group] of byPartition) {
      const partition = partitions.get(name) as Partition;
      for (const record of group) if (this.#cache.expiryOf(partition, recordKey(record.id)) > now) found.add(record.id);
    }
    return found;
  }

  failedBlobs(): Promise<FailedBlob[]> {
    return Promise.resolve([...this.#opened().failed]);
  }

  async commit(commit: Commit): Promise<void> {
    const head = this.#opened();
    const sections = this.#sections(commit);
    const cursors = { ...head.cursors };
    for (const [contentType, cursor] of Object.entries(commit.cursors ?? {}) as Array<[string, ContentTypeCursor | undefined]>) {
      if (!isContentType(contentType)) throw new TypeError(`State commit: cursor key "${contentType}" is not a content type.`);
      if (cursor !== undefined) cursors[contentType] = cursor;
    }
    const failed = mergeFailed(head.failed, commit);
    await this.#lease?.ensure();
    let commitBlob: string | undefined;
    if (sections.length > 0) {
      commitBlob = this.#fresh("commits");
      const name = commitBlob;
      await this.#guard("commit state", () => this.#upload(name, encodeSections(sections), { ifNoneMatch: "*" }));
    }
    await this.#writeHead({
      ...head,
      sinkCheckpoint: commit.sinkCheckpoint === undefined ? head.sinkCheckpoint : commit.sinkCheckpoint,
      cursors,
      ...(commit.stats === undefined ? {} : { stats: commit.stats }),
      failed,
      commits: commitBlob === undefined ? head.commits : [...head.commits, commitBlob],
    });
    this.#cache.apply(sections, head.partitions, true);
    if (this.#opened().commits.length >= COMPACT_AFTER_COMMITS) await this.#compact();
  }

  /**
   * Drops the partitions whose every entry has expired and compacts what this run committed. Counts are of the
   * entries in dropped partitions; expired entries of a partition that still holds live ones stop counting for
   * lookups at once (the head's `prunedThrough`) and leave with its next rewrite. After a run that died mid-way, and
   * daily, orphaned blobs are swept into the garbage (sweep.ts).
   */
  async prune(now: Date): Promise<{ readonly blobs: number; readonly records: number; readonly failed: number }> {
    const head = this.#opened();
    const cutoff = now.getTime();
    const refs = { ...head.partitions };
    const garbage: string[] = [];
    const failed = head.failed.filter((entry) => Date.parse(entry.keepUntil) > cutoff);
    const dropped = { blobs: 0, records: 0, failed: head.failed.length - failed.length };
    for (const name of new Set([...Object.keys(refs), ...this.#cache.names()])) {
      const ref = refs[name];
      const cached = this.#cache.peek(name);
      if (Math.max(ref?.expiresAt ?? -Infinity, cached?.expiresAt ?? -Infinity) > cutoff) continue;
      const held = cached === undefined ? 0 : this.#cache.settle(cached).size;
      const entries = cached?.loaded === true ? held : (ref?.entries ?? 0) + held;
      if (name.startsWith("b/")) dropped.blobs += entries;
      else dropped.records += entries;
      if (ref !== undefined) garbage.push(ref.blob);
      delete refs[name];
      this.#cache.drop(name);
    }
    const sweep = sweepDue(head, this.#diedMidway, cutoff);
    if (sweep) garbage.push(...orphans(await this.#listOwnBlobs(), head, this.#run));
    const prunedThrough = Math.max(head.prunedThrough ?? -Infinity, cutoff);
    const changed = garbage.length > 0 || dropped.failed > 0 || sweep || prunedThrough !== head.prunedThrough;
    // What changed rides on the compaction's head write, or on one of its own when there is nothing to compact.
    this.#head = {
      ...head,
      partitions: refs,
      failed,
      garbage: [...head.garbage, ...garbage],
      prunedThrough,
      ...(sweep ? { sweptAt: cutoff } : {}),
    };
    if (!(await this.#compact()) && changed) {
      await this.#writeHead(this.#opened());
      await this.#collectGarbage();
    }
    this.#diedMidway = false;
    return dropped;
  }

  /** The names, relative to the prefix, of every blob under this state's commits/ and parts/ folders. */
  async #listOwnBlobs(): Promise<string[]> {
    const names: string[] = [];
    await this.#guard("list the state's blobs", async () => {
      for (const folder of ["commits/", "parts/"]) {
        for await (const page of this.#container.listBlobsFlat({ prefix: this.#name(folder) }).byPage({ maxPageSize: 5_000 })) {
          this.traffic.requests++;
          for (const item of page.segment.blobItems) names.push(item.name.slice(this.#prefix.length));
        }
      }
    });
    return names;
  }

  async close(): Promise<void> {
    if (this.#lease === undefined) return;
    try {
      if (this.#head !== undefined) await this.#compact();
    } finally {
      await this.#closeLease();
    }
  }

  async #closeLease(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    this.#head = undefined;
    // A release that fails leaves a lease that expires by itself within LEASE_SECONDS.
    await lease?.release().catch(() => undefined);
  }

  /**
   * Writes dirty partitions as new blobs, then a head that points at them and no longer at the commit blobs.
   * Resolves whether it wrote the head (false: nothing to compact).
   */
  async #compact(): Promise<boolean> {
    const head = this.#opened();
    const dirty = this.#cache.names().filter((name) => this.#cache.peek(name)?.dirty);
    if (dirty.length === 0 && head.commits.length === 0) return false;
    await this.#lease?.ensure();
    const partitions = await this.#loaded(dirty);
    const now = this.#now().getTime();
    const refs: Record<string, PartitionRef> = { ...head.partitions };
    const garbage = [...head.garbage, ...head.commits];
    await pool(dirty, CONCURRENCY, async (name) => {
      const partition = partitions.get(name) as Partition;
      const live = this.#cache.settle(partition).live(now);
      partition.base = live;
      const old = refs[name];
      if (old !== undefined) garbage.push(old.blob);
      if (live.size === 0) {
        delete refs[name];
        return;
      }
      const blob = this.#fresh(`parts/${name}`);
      await this.#guard("compact state", () => this.#upload(blob, encodePartition(live), { ifNoneMatch: "*" }));
      refs[name] = { blob, entries: live.size, expiresAt: partition.expiresAt };
    });
    await this.#writeHead({ ...head, partitions: refs, commits: [], garbage });
    for (const name of dirty) {
      const partition = this.#cache.peek(name);
      if (partition !== undefined) partition.dirty = false;
    }
    await this.#collectGarbage();
    this.#cache.evictCleanAbove(MAX_CACHED_ENTRIES, refs);
    return true;
  }

  /** Deletes the blobs the head lists as garbage; what fails stays listed for the next head write. */
  async #collectGarbage(): Promise<void> {
    const head = this.#opened();
    if (head.garbage.length === 0) return;
    const failed: string[] = [];
    await pool(head.garbage, CONCURRENCY, async (name) => {
      this.traffic.requests++;
      await this.#container
        .getBlobClient(this.#name(name))
        .deleteIfExists({ abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
        .catch(() => failed.push(name));
    });
    this.#head = { ...head, garbage: failed };
  }

  /** The commit point: the head, written only under this run's lease and only over the head this run last wrote. */
  async #writeHead(next: Omit<Head, "serial">): Promise<void> {
    const lease = this.#lease;
    const head = this.#opened();
    if (lease === undefined) throw new Error(`State store ${this.#where} is not open.`);
    await lease.ensure();
    const written: Head = { ...next, version: HEAD_VERSION, serial: head.serial + 1 };
    try {
      this.#etag = await this.#upload(HEAD, Buffer.from(JSON.stringify(written)), { leaseId: lease.id, ...(this.#etag ? { ifMatch: this.#etag } : {}) });
    } catch (error) {
      if (storageStatus(error) === 412 || isLeaseLostCode(storageErrorCode(error))) {
        throw lease.lost(`the service refused a write under it: ${storageErrorCode(error) ?? "412"}`, error);
      }
      // The answer may have been lost after the write happened: the serial tells.
      const current = await this.#download(HEAD, { leaseId: lease.id }).catch(() => undefined);
      if (current === undefined) throw lease.lost("a state write failed and its outcome could not be read back", error);
      const stored = parseHead(current.bytes, this.#where + HEAD);
      if (stored.serial !== written.serial) {
        this.#etag = current.etag;
        throw this.#writeError("commit state", error);
      }
      this.#etag = current.etag;
    }
    this.#head = written;
  }

  /** Index entries of a commit, grouped by partition and expiry. Validates everything before anything is written. */
  #sections(commit: Commit): Section[] {
    const at = commit.at.getTime();
    if (!Number.isFinite(at)) throw new RangeError("State commit: `at` is not a valid date.");
    const sections = new Map<string, { partition: string; keys: KeyList }>();
    const add = (partition: string, expiresAt: number, key: Uint8Array): void => {
      const id = `${partition}|${expiresAt}`;
      let section = sections.get(id);
      if (section === undefined) sections.set(id, (section = { partition, keys: new KeyList(expiresAt) }));
      section.keys.push(key);
    };
    const recordsExpireAt = at + this.#options.dedupeHorizonMs;
    for (const blob of commit.blobs) {
      // Found by its contentExpiration (what a lookup knows), kept until keepUntil (while the API may list it again).
      const expiresAt = Date.parse(blob.keepUntil);
      if (!Number.isFinite(expiresAt)) {
        throw new RangeError(`State commit: blob ${blob.contentId} has keepUntil "${blob.keepUntil}", which is not an ISO 8601 instant.`);
      }
      add(blobPartition(blob.contentExpiration), expiresAt, blobKey(blob.contentId));
      for (const record of blob.records) add(recordPartition(record.creationTime), recordsExpireAt, recordKey(record.id));
    }
    for (const record of commit.records ?? []) add(recordPartition(record.creationTime), recordsExpireAt, recordKey(record.id));
    return [...sections.values()].map(({ partition, keys }) => ({ partition, expiresAt: keys.expiresAt, keys: keys.bytes() }));
  }

  /** The partitions `names`, each loaded from its blob first if this run has not read it yet. */
  async #loaded(names: readonly string[]): Promise<Map<string, Partition>> {
    const head = this.#opened();
    const result = new Map<string, Partition>();
    const missing: string[] = [];
    for (const name of names) {
      const partition = this.#cache.get(name, head.partitions[name]);
      result.set(name, partition);
      if (!partition.loaded) missing.push(name);
    }
    await pool(missing, CONCURRENCY, async (name) => {
      const ref = head.partitions[name] as PartitionRef;
      const { bytes } = await this.#guard("read the state", () => this.#download(ref.blob));
      const partition = result.get(name) as Partition;
      if (partition.loaded) return;
      this.#cache.load(partition, decodePartition(bytes, this.#where + ref.blob));
    });
    return result;
  }

  async #upload(name: string, bytes: Buffer, conditions: BlobRequestConditions): Promise<string | undefined> {
    this.traffic.requests++;
    this.traffic.bytesUploaded += bytes.length;
    const response = await this.#container
      .getBlockBlobClient(this.#name(name))
      .upload(bytes, bytes.length, { conditions, abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return response.etag;
  }

  async #download(name: string, conditions: BlobRequestConditions = {}): Promise<{ bytes: Buffer; etag: string | undefined }> {
    this.traffic.requests++;
    const response = await this.#container
      .getBlobClient(this.#name(name))
      .download(0, undefined, { conditions, abortSignal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = response.readableStreamBody;
    const bytes = body === undefined ? Buffer.alloc(0) : await buffer(body);
    this.traffic.bytesDownloaded += bytes.length;
    return { bytes, etag: response.etag };
  }

  /** Blob names in the head are relative to the prefix, so a state can be moved to another prefix as it is. */
  #name(relative: string): string {
    return this.#prefix + relative;
  }

  #fresh(folder: string): string {
    return `${folder}/${this.#run}-${(this.#sequence++).toString().padStart(6, "0")}`;
  }

  #opened(): Head {
    if (this.#head === undefined) throw new Error(`State store ${this.#where} is not open: call open() first.`);
    return this.#head;
  }

  /** Storage failures become errors that name the state and the likely fix; auditfeed's own errors pass through. */
  async #guard<T>(what: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (isAuditfeedError(error)) throw error;
      throw this.#writeError(what, error);
    }
  }

  #writeError(what: string, error: unknown): AuditfeedError {
    const status = storageStatus(error);
    const code = storageErrorCode(error);
    if (code === "ContainerNotFound") {
      return new AuditfeedError(
        "AF_ERR_STATE_UNREADABLE",
        `Could not ${what} at ${this.#where}: the container ${this.#options.container} does not exist. Create it (the Pulumi stack does), or correct AUDITFEED_STATE.`,
        { cause: error },
      );
    }
    if (status === 401 || status === 403) {
      return new AuditfeedError(
        "AF_ERR_STATE_ACCESS",
        `Could not ${what} at ${this.#where}: access denied (${code ?? status}). Give the collector's managed identity the Storage Blob Data Contributor role on the container (the Pulumi stack does; a new assignment takes a few minutes to apply).`,
        { cause: error },
      );
    }
    return new AuditfeedError("AF_ERR_STATE_WRITE", `Could not ${what} at ${this.#where}: ${(error as Error).message}`, { retryable: true, cause: error });
  }
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}

/**
 * The failed blobs after `commit`: they are few (a blob is here only while it keeps failing), so they live in the head,
 * sorted by contentId. A committed blob leaves them; a failed one replaces what was remembered for it.
 */
function mergeFailed(before: readonly FailedBlob[], commit: Commit): FailedBlob[] {
  for (const entry of commit.failed ?? []) {
    if (!Number.isFinite(Date.parse(entry.keepUntil))) {
      throw new RangeError(`State commit: failed blob ${entry.descriptor.contentId} has keepUntil "${entry.keepUntil}", which is not an ISO 8601 instant.`);
    }
  }
  const byId = new Map(before.map((entry) => [entry.descriptor.contentId, entry]));
  for (const blob of commit.blobs) byId.delete(blob.contentId);
  for (const entry of commit.failed ?? []) byId.set(entry.descriptor.contentId, entry);
  return [...byId.values()].sort((a, b) => (a.descriptor.contentId < b.descriptor.contentId ? -1 : a.descriptor.contentId > b.descriptor.contentId ? 1 : 0));
}
