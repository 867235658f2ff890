/**
 * A 32-bit fingerprint of every GUID key an index partition received since this process created it, kept in an
 * open-addressing hash table (4 bytes a slot, at most half full). A key whose fingerprint is absent was never inserted,
 * so its lookup needs no query; a fingerprint that is present may belong to another key (about one lookup in
 * 2^32 / entries), so the caller asks SQLite then. The answers stay exact: this only skips queries whose answer is
 * known to be "not there".
 */
export class KeyFingerprints {
  #slots = new Uint32Array(1024);
  #size = 0;

  /** How many distinct fingerprints are held (what the table's memory follows). */
  get size(): number {
    return this.#size;
  }

  has(fingerprint: number): boolean {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let at = fingerprint & mask; ; at = (at + 1) & mask) {
      const slot = slots[at] as number;
      if (slot === fingerprint) return true;
      if (slot === 0) return false;
    }
  }

  add(fingerprint: number): void {
    if ((this.#size + 1) * 2 > this.#slots.length) this.#grow();
    if (insert(this.#slots, fingerprint)) this.#size++;
  }

  #grow(): void {
    const slots = new Uint32Array(this.#slots.length * 2);
    for (const fingerprint of this.#slots) if (fingerprint !== 0) insert(slots, fingerprint);
    this.#slots = slots;
  }
}

/** False when the fingerprint was there already. */
function insert(slots: Uint32Array, fingerprint: number): boolean {
  const mask = slots.length - 1;
  for (let at = fingerprint & mask; ; at = (at + 1) & mask) {
    const slot = slots[at] as number;
    if (slot === fingerprint) return false;
    if (slot === 0) {
      slots[at] = fingerprint;
      return true;
    }
  }
}

/**
 * The fingerprint of the 16-byte key at `offset`: its four words mixed (murmur3's finalizer), so that GUIDs that are
 * not random (sequential ones share most bytes) still spread over the table; never 0, which marks an empty slot.
 */
export function keyFingerprint(key: Uint8Array, offset: number): number {
  let hash = 0x9e3779b9;
  for (let word = offset; word < offset + 16; word += 4) {
    const value = ((key[word] as number) | ((key[word + 1] as number) << 8) | ((key[word + 2] as number) << 16) | ((key[word + 3] as number) << 24)) >>> 0;
    hash = Math.imul(hash ^ value, 0xcc9e2d51);
    hash = (hash << 15) | (hash >>> 17);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0 || 1;
}
