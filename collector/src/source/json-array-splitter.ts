/**
 * Splits a JSON array arriving in arbitrary byte chunks into the raw text of each top-level element, so a blob is
 * never held whole: memory is one element plus one chunk. It only tracks what it must to find element boundaries
 * (strings, escapes, nesting depth); each element's own syntax is left to `JSON.parse` by the caller.
 * Works on bytes, not text: every byte it inspects is ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte
 * character, so a chunk boundary inside a character is harmless.
 */
import { isUtf8 } from "node:buffer";

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

type Position = "before-array" | "expect-first" | "expect-element" | "in-element" | "after-element" | "done";

export class JsonArraySplitter {
  readonly #maxElementBytes: number;
  #position: Position = "before-array";
  #offset = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** A number, true, false or null: it ends at the first delimiter rather than at a closing character. */
  #scalar = false;
  #parts: Buffer[] = [];
  #partBytes = 0;

  /** `maxElementBytes` bounds memory on a malformed blob (an unterminated string would otherwise grow forever). */
  constructor(options: { maxElementBytes?: number } = {}) {
    this.#maxElementBytes = options.maxElementBytes ?? 64 * 1_048_576;
  }

  /** Feeds the next chunk; returns the elements it completed, in order. Throws SyntaxError when the input is no array. */
  push(chunk: Uint8Array): string[] {
    const elements: string[] = [];
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    let start = this.#position === "in-element" ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] ?? 0;
      switch (this.#position) {
        case "before-array":
          if (byte === OPEN_BRACKET) this.#position = "expect-first";
          else if (!isSpace(byte) && !(this.#offset + i < 3 && isByteOrderMark(byte))) this.#fail(byte, i, "the opening [ of an array");
          break;
        case "expect-first":
        case "expect-element":
          if (isSpace(byte)) break;
          if (byte === CLOSE_BRACKET && this.#position === "expect-first") {
            this.#position = "done";
            break;
          }
          if (byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE) this.#fail(byte, i, "an array element");
          start = i;
          this.#begin(byte);
          break;
        case "in-element":
          if (this.#scalar) {
            if (byte === COMMA || byte === CLOSE_BRACKET || isSpace(byte)) {
              elements.push(this.#finish(chunk, start, i));
              i--; // the delimiter is read again as "after-element"
            }
          } else {
            const end = this.#scan(bytes, i);
            if (end === -1) i = bytes.length;
            else {
              elements.push(this.#finish(chunk, start, end));
              i = end - 1;
            }
          }
          break;
        case "after-element":
          if (byte === COMMA) this.#position = "expect-element";
          else if (byte === CLOSE_BRACKET) this.#position = "done";
          else if (!isSpace(byte)) this.#fail(byte, i, "a comma or the closing ]");
          break;
        case "done":
          if (!isSpace(byte)) this.#fail(byte, i, "nothing after the closing ]");
          break;
      }
    }
    if (this.#position === "in-element") this.#keep(Buffer.from(chunk.subarray(start)));
    this.#offset += chunk.length;
    return elements;
  }

  /** Declares the input complete; throws SyntaxError when the array was not closed (a truncated body). */
  end(): void {
    if (this.#position !== "done") {
      throw new SyntaxError(`The JSON array ended after ${this.#offset} bytes without its closing ]: the body was truncated.`);
    }
  }

  #begin(byte: number): void {
    this.#position = "in-element";
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#scalar = false;
    if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.#depth = 1;
    else if (byte === QUOTE) this.#inString = true;
    else this.#scalar = true;
  }

  /**
   * Reads a string or container element from `from`: the index just past its end, or -1 when the chunk ends first
   * (where it stands is kept for the next chunk). String content, most of a record, is jumped over with indexOf
   * rather than stepped through byte by byte.
   */
  #scan(bytes: Buffer, from: number): number {
    let depth = this.#depth;
    let inString = this.#inString;
    let escaped = this.#escaped;
    let end = -1;
    let i = from;
    while (i < bytes.length) {
      if (inString) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        const close = closingQuote(bytes, i);
        if (close === -1) {
          escaped = trailingBackslashes(bytes, i, bytes.length) % 2 === 1;
          break;
        }
        inString = false;
        i = close + 1;
        if (depth === 0) {
          end = i;
          break;
        }
        continue;
      }
      const byte = bytes[i];
      if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
      else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --depth === 0) {
        end = i + 1;
        break;
      }
      i++;
    }
    this.#depth = depth;
    this.#inString = inString;
    this.#escaped = escaped;
    return end;
  }

  #finish(chunk: Uint8Array, start: number, end: number): string {
    const tail = chunk.subarray(start, end);
    const bytes = this.#parts.length === 0 ? Buffer.from(tail.buffer, tail.byteOffset, tail.length) : Buffer.concat([...this.#parts, tail]);
    // Decoding would silently turn invalid bytes into U+FFFD: the SIEM would get a record Microsoft never sent.
    if (!isUtf8(bytes)) {
      throw new SyntaxError(`A JSON array element (ending at byte ${this.#offset + end}) is not valid UTF-8, which JSON requires.`);
    }
    const text = bytes.toString("utf8");
    this.#parts = [];
    this.#partBytes = 0;
    this.#position = "after-element";
    return text;
  }

  #keep(part: Buffer): void {
    this.#partBytes += part.length;
    if (this.#partBytes > this.#maxElementBytes) {
      throw new SyntaxError(
        `A JSON array element exceeds ${this.#maxElementBytes} bytes (at byte ${this.#offset}): the blob is malformed or an element is unterminated.`,
      );
    }
    this.#parts.push(part);
  }

  #fail(byte: number, index: number, expected: string): never {
    throw new SyntaxError(`Expected ${expected} in the JSON array but found ${JSON.stringify(String.fromCharCode(byte))} at byte ${this.#offset + index}.`);
  }
}

/**
 * The index of the quote that closes the string being read from `from` (where no escape is pending), or -1 when the
 * chunk ends first. A quote is escaped exactly when an odd run of backslashes precedes it: inside a string every
 * backslash starts an escape, and no escape continues with another backslash.
 */
function closingQuote(bytes: Buffer, from: number): number {
  for (let quote = bytes.indexOf(QUOTE, from); quote !== -1; quote = bytes.indexOf(QUOTE, quote + 1)) {
    if (trailingBackslashes(bytes, from, quote) % 2 === 0) return quote;
  }
  return -1;
}

/** How many backslashes end `bytes[from, to)`. */
function trailingBackslashes(bytes: Uint8Array, from: number, to: number): number {
  let at = to;
  while (at > from && bytes[at - 1] === BACKSLASH) at--;
  return to - at;
}

/** A UTF-8 byte order mark (EF BB BF) may precede the array. */
function isByteOrderMark(byte: number): boolean {
  return byte === 0xef || byte === 0xbb || byte === 0xbf;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
