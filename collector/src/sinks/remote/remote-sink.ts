import type { Logger } from "../../log/logger.ts";
import type { DeliveryGuarantee, OutboundRecord, Sink, SinkCheckpoint } from "../sink.ts";
import type { DeadLetter, RejectedRecord } from "./dead-letter.ts";
import { DeliveryDriver, type DriverSettings } from "./driver.ts";
import type { Destination } from "./outcome.ts";

/**
 * A sink over a remote destination: records are cut into batches within the destination's limits and handed to the
 * delivery driver as they fill, so sending overlaps fetching; `flush` resolves once every batch is settled (accepted
 * or dead-lettered), which acknowledges the group. Nothing sent can be taken back, so there is no checkpoint: a crash
 * between a flush and the state commit sends that group again (at least once), unless the destination drops repeats
 * by record Id (the sink then declares exactly-once).
 */
export class RemoteSink implements Sink {
  readonly name: string;
  readonly delivery: DeliveryGuarantee;
  readonly #connect: () => Destination;
  readonly #deadLetter: DeadLetter;
  readonly #settings: DriverSettings;
  readonly #logger: Logger;
  readonly #stop: AbortSignal | undefined;
  #destination: Destination | undefined;
  #driver: DeliveryDriver | undefined;
  #closing: AbortController | undefined;
  #batch: OutboundRecord[] = [];
  #batchBytes = 0;
  /** Records of `#batch` that belong to complete blobs (the last savepoint); a rollback keeps only those. */
  #saved = 0;

  constructor(options: {
    name: string;
    /** Makes the destination's client (connection pool); `open` calls it, `close` closes what it made. */
    connect: () => Destination;
    delivery: DeliveryGuarantee;
    deadLetter: DeadLetter;
    settings: DriverSettings;
    logger: Logger;
    signal: AbortSignal | undefined;
  }) {
    this.name = options.name;
    this.delivery = options.delivery;
    this.#connect = options.connect;
    this.#deadLetter = options.deadLetter;
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#stop = options.signal;
  }

  /** Nothing to roll back: what a destination accepted stays there. */
  open(_checkpoint: SinkCheckpoint | null): Promise<void> {
    this.#closing = new AbortController();
    const signal = this.#stop === undefined ? this.#closing.signal : AbortSignal.any([this.#stop, this.#closing.signal]);
    const destination = this.#connect();
    this.#destination = destination;
    this.#driver = new DeliveryDriver({ destination, deadLetter: this.#deadLetter, settings: this.#settings, logger: this.#logger, signal });
    this.#batch = [];
    this.#batchBytes = 0;
    this.#saved = 0;
    return Promise.resolve();
  }

  async write(records: readonly OutboundRecord[]): Promise<void> {
    const { driver, destination } = this.#opened();
    const { maxRecords, maxBytes, maxRecordBytes = maxBytes } = destination.limits;
    const oversized: RejectedRecord[] = [];
    for (const record of records) {
      const size = destination.size(record);
      if (size > maxRecordBytes) {
        oversized.push({ record, reason: `the record takes ${size} bytes, more than the ${maxRecordBytes} bytes the destination accepts for one record` });
        continue;
      }
      if (this.#batch.length > 0 && (this.#batch.length >= maxRecords || this.#batchBytes + size > maxBytes)) await this.#submit(driver);
      this.#batch.push(record);
      this.#batchBytes += size;
    }
    await this.#deadLetter.put(oversized);
  }

  async flush(): Promise<null> {
    const { driver } = this.#opened();
    if (this.#batch.length > 0) await this.#submit(driver);
    await driver.drain();
    return null;
  }

  savepoint(): Promise<void> {
    this.#saved = this.#batch.length;
    return Promise.resolve();
  }

  /**
   * Drops the failed blob's records still in the batch. Those already handed to the driver are sent: they are
   * delivered again when the blob is retried (at least once), or dropped as repeats by an exactly-once destination.
   */
  rollback(): Promise<void> {
    const { destination } = this.#opened();
    this.#batch = this.#batch.slice(0, this.#saved);
    this.#batchBytes = this.#batch.reduce((sum, record) => sum + destination.size(record), 0);
    return Promise.resolve();
  }

  /** Nothing to record: a remote sink has no checkpoint a restored state could contradict. */
  committed(_checkpoint: SinkCheckpoint | null): Promise<void> {
    return Promise.resolve();
  }

  /** Drops the batch not sent yet and waits for the requests in flight; what they delivered stays delivered. */
  async discard(): Promise<void> {
    this.#batch = [];
    this.#batchBytes = 0;
    this.#saved = 0;
    await this.#driver?.forget();
  }

  /** Aborts requests in flight (their group was not acknowledged, so it is redone after a restart). */
  async close(): Promise<void> {
    this.#closing?.abort(new Error(`${this.name} sink: closed.`));
    await this.#driver?.forget();
    this.#driver = undefined;
    await this.#destination?.close();
    this.#destination = undefined;
  }

  async #submit(driver: DeliveryDriver): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    this.#saved = 0;
    await driver.submit(batch);
  }

  #opened(): { driver: DeliveryDriver; destination: Destination } {
    if (this.#driver === undefined || this.#destination === undefined) throw new Error(`${this.name} sink: call open() before writing.`);
    return { driver: this.#driver, destination: this.#destination };
  }
}
