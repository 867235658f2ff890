/**
 * Reads a JSON array of objects (a content blob) arriving in arbitrary byte chunks, and returns each element as the
 * bytes the API sent, validated as JSON, with the two fields the collector needs read on the way: the top-level `Id`
 * and `CreationTime`. A blob is never held whole (memory is one element plus one chunk), no element is decoded to a
 * string or parsed into objects, and a sink can write the bytes as they came.
 *
 * One pass over the bytes does all of it: a loop over a typed array is cheaper here than `Buffer.indexOf` per quote (a
 * native call per string) and than `JSON.parse` of each element (which builds every object only for it to be thrown
 * away). Validation is JSON's grammar (RFC 8259) exactly, so whatever it accepts `JSON.parse` accepts too and a SIEM
 * never gets a line it cannot parse; UTF-8 validity is checked per element (an all-ASCII one needs no check). Every
 * byte the grammar looks at is ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character, so a chunk
 * boundary inside a character is harmless.
 *
 * Where the time goes, and why the loop looks the way it does (docs/performance.md, "CPU path"): about 80 % of a
 * record's bytes are string content, so strings are stepped over four bytes at a time (one 32-bit read and a few
 * integer operations that tell whether any of the four ends plain content, and which); the joints between a key and
 * its value and between a value and the next key are read on the string path; the reader's state lives in locals
 * during the loop rather than in private fields, the containers of an element are a byte stack, and the two wanted
 * top-level keys are matched byte by byte in place. Together: about 1.9x the previous loop's throughput.
 */
import { isUtf8 } from "node:buffer";

/** One element of the array. */
export interface ArrayElement {
  /**
   * The element's JSON on one line: the bytes as received, from its `{` to its `}`; an element that spans lines
   * (pretty-printed) loses the blanks between its tokens instead, since NDJSON needs one record per line.
   */
  readonly bytes: Buffer;
  /** The top-level `Id`, when it is a string. */
  readonly id: string | undefined;
  /** The top-level `CreationTime`, when it is a string. */
  readonly creationTime: string | undefined;
}

// Where the reader stands. Numbers rather than strings: the state is compared for every byte.
const BEFORE_ARRAY = 0;
const FIRST_ELEMENT = 1; // after [: an element or ]
const NEXT_ELEMENT = 2; // after a comma between elements
const AFTER_ELEMENT = 3; // a comma or ]
const DONE = 4;
const KEY_OR_CLOSE = 5; // after {
const KEY = 6; // after a comma in an object
const COLON = 7;
const VALUE = 8;
const VALUE_OR_CLOSE = 9; // after [
const AFTER_VALUE = 10;
const STRING = 11;
const ESCAPE = 12;
const UNICODE_ESCAPE = 13;
const NUMBER_SIGN = 14; // after -: a digit
const NUMBER_ZERO = 15; // a leading 0: . e E or the end
const NUMBER_INTEGER = 16;
const NUMBER_POINT = 17; // after .: a digit
const NUMBER_FRACTION = 18;
const NUMBER_EXPONENT = 19; // after e: a sign or a digit
const NUMBER_EXPONENT_SIGN = 20; // a digit
const NUMBER_EXPONENT_DIGITS = 21;
const LITERAL = 22;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON_BYTE = 0x3a;
const MINUS = 0x2d;
const PLUS = 0x2b;
const POINT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LINE_FEED = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** What a string being read is: a key of the top-level object (maybe a wanted one), another key, or a value. */
const ROLE_VALUE = 0;
const ROLE_KEY = 1;
const ROLE_TOP_KEY = 2;
/** Which wanted field the next top-level value belongs to. */
const FIELD_NONE = 0;
const FIELD_ID = 1;
const FIELD_CREATION_TIME = 2;

const CREATION_TIME_KEY = Buffer.from("CreationTime");
const LITERALS = [Buffer.from("true"), Buffer.from("false"), Buffer.from("null")];
const MAX_DEPTH = 512;

export class JsonArraySplitter {
  readonly #maxElementBytes: number;
  #state = BEFORE_ARRAY;
  /** Stream offset of the current chunk's first byte. */
  #offset = 0;
  /** Open containers of the current element, outermost first: 1 for an object, 0 for an array. */
  readonly #containers = new Uint8Array(MAX_DEPTH);
  #depth = 0;
  #role = ROLE_VALUE;
  /** Stream offset where the string being read starts (just past its quote), and whether it holds an escape. */
  #stringStart = 0;
  #stringEscaped = false;
  #hexLeft = 0;
  #literal: Buffer = LITERALS[0] as Buffer;
  #literalAt = 0;
  /** The wanted field whose value comes next (or is being read). */
  #field = FIELD_NONE;
  /** The wanted values found so far, as stream offsets [start, end) (start -1: none). */
  #idStart = -1;
  #idEnd = 0;
  #idEscaped = false;
  #creationTimeStart = -1;
  #creationTimeEnd = 0;
  #creationTimeEscaped = false;
  /** A top-level key was cut by a chunk boundary, or a wanted one escaped: the fields are read with JSON.parse. */
  #slowFields = false;
  #lineBreak = false;
  /**
   * The element's string bytes so far, ORed together. Every other byte of it passed the grammar, which admits only
   * ASCII, so without a high bit here the whole element is ASCII and needs no UTF-8 check (audit records mostly are).
   */
  #seen = 0;
  /** Stream offset of the element's `{`, and its bytes from earlier chunks. */
  #elementStart = 0;
  #parts: Buffer[] = [];
  #partBytes = 0;

  /** `maxElementBytes` bounds memory on a malformed blob (an unterminated string would otherwise grow forever). */
  constructor(options: { maxElementBytes?: number } = {}) {
    this.#maxElementBytes = options.maxElementBytes ?? 64 * 1_048_576;
  }

  /** Feeds the next chunk; returns the elements it completed, in order. Throws SyntaxError when the input is not such an array. */
  push(chunk: Uint8Array): ArrayElement[] {
    // One array type whatever the caller passes (undici's Buffers, a test's Uint8Array): the loop's reads stay monomorphic.
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const elements: ArrayElement[] = [];
    const length = bytes.length;
    const base = this.#offset;
    const containers = this.#containers;
    // The hot state lives in locals for the loop and goes back to the fields at the end.
    let state = this.#state;
    let depth = this.#depth;
    let role = this.#role;
    let field = this.#field;
    let stringStart = this.#stringStart - base; // index in this chunk; negative when the string began in an earlier one
    let escaped = this.#stringEscaped;
    let start = state >= KEY_OR_CLOSE ? 0 : -1;
    let seen = this.#seen;
    let i = 0;
    while (i < length) {
      let byte = bytes[i] as number;
      if (state === STRING) {
        // Most of a record is string content: step over it four bytes at a time to the word holding a byte that ends
        // plain content, then to that byte (the word's lowest flagged one). Only a chunk's last few bytes go one at a
        // time, never past the chunk's end (one read past it makes V8 deoptimise the loop). The last word's bytes
        // after the string are the element's own or ASCII, so ORing them into `seen` is harmless.
        let special = 0;
        while (i + 4 <= length) {
          const word = view.getUint32(i, true);
          seen |= word;
          special = specialByteIn(word);
          if (special !== 0) break;
          i += 4;
        }
        if (special !== 0) {
          i += (31 - Math.clz32(special & -special)) >> 3;
          byte = bytes[i] as number;
        } else {
          while (i < length) {
            byte = bytes[i] as number;
            if (byte === QUOTE || byte === BACKSLASH || byte < 0x20) break;
            seen |= byte;
            i++;
          }
          if (i === length) break;
        }
        if (byte === QUOTE) {
          if (role === ROLE_VALUE) {
            if (field !== FIELD_NONE) {
              this.#foundField(field, base + stringStart, base + i, escaped);
              field = FIELD_NONE;
            }
            // The commonest joints, a value's comma and the next key, or a key's colon and its value, are read here
            // without a round through the states: the loop stays on the string path.
            if (i + 2 < length && bytes[i + 1] === COMMA && bytes[i + 2] === QUOTE && containers[depth - 1] === 1) {
              i += 3;
              stringStart = i;
              escaped = false;
              role = depth === 1 ? ROLE_TOP_KEY : ROLE_KEY;
              continue;
            }
            state = AFTER_VALUE;
          } else {
            if (role === ROLE_TOP_KEY) field = this.#topKey(bytes, stringStart, i, escaped);
            if (i + 2 < length && bytes[i + 1] === COLON_BYTE) {
              if (bytes[i + 2] === QUOTE) {
                i += 3;
                stringStart = i;
                escaped = false;
                role = ROLE_VALUE;
              } else {
                state = VALUE;
                i += 2;
              }
              continue;
            }
            state = COLON;
          }
        } else if (byte === BACKSLASH) {
          escaped = true;
          state = ESCAPE;
        } else {
          this.#fail(byte, i, "a string character (control characters must be escaped)");
        }
        i++;
        continue;
      }
      switch (state) {
        case AFTER_VALUE:
          if (byte === COMMA) {
            state = containers[depth - 1] === 1 ? KEY : VALUE;
          } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
            if ((byte === CLOSE_BRACE ? 1 : 0) !== containers[depth - 1]) this.#fail(byte, i, "a comma or the container's own closing bracket");
            if (--depth === 0) {
              elements.push(this.#finish(bytes, start, i + 1, (seen & 0x80808080) === 0));
              state = AFTER_ELEMENT;
            }
          } else if (!this.#space(byte)) {
            this.#fail(byte, i, "a comma or a closing bracket");
          }
          break;
        case KEY:
        case KEY_OR_CLOSE:
          if (byte === QUOTE) {
            stringStart = i + 1;
            escaped = false;
            role = depth === 1 ? ROLE_TOP_KEY : ROLE_KEY;
            state = STRING;
          } else if (byte === CLOSE_BRACE && state === KEY_OR_CLOSE) {
            if (--depth === 0) {
              elements.push(this.#finish(bytes, start, i + 1, (seen & 0x80808080) === 0));
              state = AFTER_ELEMENT;
            } else {
              state = AFTER_VALUE;
            }
          } else if (!this.#space(byte)) {
            this.#fail(byte, i, state === KEY ? "a key (a string)" : "a key (a string) or }");
          }
          break;
        case COLON:
          if (byte === COLON_BYTE) state = VALUE;
          else if (!this.#space(byte)) this.#fail(byte, i, "a colon after the key");
          break;
        case VALUE:
        case VALUE_OR_CLOSE:
          if (byte === QUOTE) {
            stringStart = i + 1;
            escaped = false;
            role = ROLE_VALUE;
            state = STRING;
            break;
          }
          if (this.#space(byte)) break;
          if (byte === CLOSE_BRACKET && state === VALUE_OR_CLOSE) {
            if (--depth === 0) {
              elements.push(this.#finish(bytes, start, i + 1, (seen & 0x80808080) === 0));
              state = AFTER_ELEMENT;
            } else {
              state = AFTER_VALUE;
            }
            break;
          }
          // A wanted field that is not a string is not used (as if it were absent).
          field = FIELD_NONE;
          if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
            if (depth === MAX_DEPTH) throw new SyntaxError(`A JSON array element nests deeper than ${MAX_DEPTH} levels at byte ${base + i}.`);
            containers[depth++] = byte === OPEN_BRACE ? 1 : 0;
            state = byte === OPEN_BRACE ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
          } else if (byte === MINUS) state = NUMBER_SIGN;
          else if (byte === ZERO) state = NUMBER_ZERO;
          else if (byte > ZERO && byte <= NINE) state = NUMBER_INTEGER;
          else state = this.#startLiteral(byte, i);
          break;
        case BEFORE_ARRAY:
          if (byte === OPEN_BRACKET) state = FIRST_ELEMENT;
          else if (!isSpace(byte) && !(base + i < 3 && isByteOrderMark(byte))) this.#fail(byte, i, "the opening [ of an array");
          break;
        case FIRST_ELEMENT:
        case NEXT_ELEMENT:
          if (isSpace(byte)) break;
          if (byte === OPEN_BRACE) {
            start = i;
            this.#begin(base + i);
            seen = 0;
            containers[0] = 1;
            depth = 1;
            field = FIELD_NONE;
            state = KEY_OR_CLOSE;
          } else if (byte === CLOSE_BRACKET && state === FIRST_ELEMENT) {
            state = DONE;
          } else if (byte === COMMA || byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
            this.#fail(byte, i, "an array element");
          } else {
            throw new SyntaxError(
              `An audit record must be a JSON object, but the array holds an element starting with ${quoteByte(byte)} at byte ${base + i}.`,
            );
          }
          break;
        case AFTER_ELEMENT:
          if (byte === COMMA) state = NEXT_ELEMENT;
          else if (byte === CLOSE_BRACKET) state = DONE;
          else if (!isSpace(byte)) this.#fail(byte, i, "a comma or the closing ]");
          break;
        case DONE:
          if (!isSpace(byte)) this.#fail(byte, i, "nothing after the closing ]");
          break;
        case ESCAPE:
          if (byte === 0x75 /* u */) {
            this.#hexLeft = 4;
            state = UNICODE_ESCAPE;
          } else if (isEscapable(byte)) state = STRING;
          else this.#fail(byte, i, 'an escape (one of " \\ / b f n r t u)');
          break;
        case UNICODE_ESCAPE:
          if (!isHexDigit(byte)) this.#fail(byte, i, "a hexadecimal digit of a \\u escape");
          if (--this.#hexLeft === 0) state = STRING;
          break;
        case LITERAL: {
          if (byte !== this.#literal[this.#literalAt]) this.#fail(byte, i, `the literal ${this.#literal.toString()}`);
          if (++this.#literalAt === this.#literal.length) state = AFTER_VALUE;
          break;
        }
        default: {
          // A number: its grammar, then its end at the first byte that is not part of it (read again as AFTER_VALUE).
          const next = numberStep(state, byte);
          if (next === -1) this.#fail(byte, i, "a digit");
          if (next === AFTER_VALUE) {
            state = AFTER_VALUE;
            continue;
          }
          state = next;
        }
      }
      i++;
    }
    if (state >= KEY_OR_CLOSE) this.#keep(bytes.subarray(start));
    this.#state = state;
    this.#depth = depth;
    this.#role = role;
    this.#field = field;
    this.#stringStart = base + stringStart;
    this.#stringEscaped = escaped;
    this.#seen = seen;
    this.#offset += length;
    return elements;
  }

  /** Declares the input complete; throws SyntaxError when the array was not closed (a truncated body). */
  end(): void {
    if (this.#state !== DONE) {
      throw new SyntaxError(`The JSON array ended after ${this.#offset} bytes without its closing ]: the body was truncated.`);
    }
  }

  #begin(at: number): void {
    this.#elementStart = at;
    this.#idStart = -1;
    this.#creationTimeStart = -1;
    this.#slowFields = false;
    this.#lineBreak = false;
  }

  /** Whitespace inside an element; a line break there means the element must be put on one line. */
  #space(byte: number): boolean {
    if (byte === 0x20 || byte === 0x09) return true;
    if (byte === LINE_FEED || byte === CARRIAGE_RETURN) {
      this.#lineBreak = true;
      return true;
    }
    return false;
  }

  #startLiteral(byte: number, index: number): number {
    const literal = LITERALS.find((candidate) => candidate[0] === byte);
    if (literal === undefined) this.#fail(byte, index, "a value");
    this.#literal = literal;
    this.#literalAt = 1;
    return LITERAL;
  }

  /**
   * A top-level key [from, to) of this chunk, read to its closing quote: which wanted field its value is. A wanted key
   * forgets an earlier value (the last of a repeated key wins, as with JSON.parse).
   */
  #topKey(bytes: Uint8Array, from: number, to: number, escaped: boolean): number {
    const keyLength = to - from;
    if (escaped || (from < 0 && (keyLength === 2 || keyLength === CREATION_TIME_KEY.length))) {
      // An escaped key may spell a wanted one; a key cut by the chunk boundary is not at hand: rare enough to leave
      // both to JSON.parse of the element.
      this.#slowFields = true;
      return FIELD_NONE;
    }
    if (keyLength === 2) {
      if (bytes[from] !== 0x49 /* I */ || bytes[from + 1] !== 0x64 /* d */) return FIELD_NONE;
      this.#idStart = -1;
      return FIELD_ID;
    }
    if (keyLength === CREATION_TIME_KEY.length) {
      for (let at = 0; at < keyLength; at++) if (bytes[from + at] !== CREATION_TIME_KEY[at]) return FIELD_NONE;
      this.#creationTimeStart = -1;
      return FIELD_CREATION_TIME;
    }
    return FIELD_NONE;
  }

  /** A wanted field's string value at stream offsets [start, end). */
  #foundField(field: number, start: number, end: number, escaped: boolean): void {
    if (field === FIELD_ID) {
      this.#idStart = start;
      this.#idEnd = end;
      this.#idEscaped = escaped;
    } else {
      this.#creationTimeStart = start;
      this.#creationTimeEnd = end;
      this.#creationTimeEscaped = escaped;
    }
  }

  /** The element at [start, end) of the chunk is complete; `ascii`: no byte of it has the high bit (see #seen). */
  #finish(chunk: Uint8Array, start: number, end: number, ascii: boolean): ArrayElement {
    const tail = chunk.subarray(start, end);
    // A copy, not a view of the chunk: the element may outlive the chunk, whose memory is not ours to keep whole.
    const bytes = this.#parts.length === 0 ? copy(tail) : Buffer.concat([...this.#parts, tail]);
    this.#parts = [];
    this.#partBytes = 0;
    // Decoding would silently turn invalid bytes into U+FFFD: the SIEM would get a record Microsoft never sent.
    if (!ascii && !isUtf8(bytes)) {
      throw new SyntaxError(`A JSON array element (ending at byte ${this.#offset + end}) is not valid UTF-8, which JSON requires.`);
    }
    if (this.#slowFields || this.#lineBreak) {
      // Rare: the fields are not at hand (see #topKey), or the bytes are replaced. JSON.parse reads it all.
      const parsed = JSON.parse(bytes.toString("utf8")) as { Id?: unknown; CreationTime?: unknown };
      const line = this.#lineBreak ? withoutBlanks(bytes) : bytes;
      return { bytes: line, id: stringOrUndefined(parsed.Id), creationTime: stringOrUndefined(parsed.CreationTime) };
    }
    const elementStart = this.#elementStart;
    return {
      bytes,
      id: this.#idStart === -1 ? undefined : fieldValue(bytes, this.#idStart - elementStart, this.#idEnd - elementStart, this.#idEscaped),
      creationTime:
        this.#creationTimeStart === -1
          ? undefined
          : fieldValue(bytes, this.#creationTimeStart - elementStart, this.#creationTimeEnd - elementStart, this.#creationTimeEscaped),
    };
  }

  #keep(part: Uint8Array): void {
    this.#partBytes += part.length;
    if (this.#partBytes > this.#maxElementBytes) {
      throw new SyntaxError(
        `A JSON array element exceeds ${this.#maxElementBytes} bytes (at byte ${this.#offset}): the blob is malformed or an element is unterminated.`,
      );
    }
    this.#parts.push(copy(part));
  }

  #fail(byte: number, index: number, expected: string): never {
    throw new SyntaxError(`Expected ${expected} in the JSON array but found ${quoteByte(byte)} at byte ${this.#offset + index}.`);
  }
}

/**
 * Non-zero when one of the four bytes of `word` is a quote, a backslash or a control character (below 0x20), the
 * bytes that end a string's plain content. Per byte, (x - 1) & ~x has its top bit set only when x is 0 (and x < n for
 * (x - n) & ~x, n <= 0x80); a borrow can only flag bytes above a byte that is really flagged, so whether any is
 * flagged is exact, and so is the lowest flagged byte (the first special one: the word is read little-endian).
 */
function specialByteIn(word: number): number {
  const quote = word ^ 0x22222222;
  const backslash = word ^ 0x5c5c5c5c;
  return (((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash) | ((word - 0x20202020) & ~word)) & 0x80808080;
}

/**
 * The element's own copy. Measured against one copy per run of elements (elements as views of it): that saved calls
 * but cost more in GC. A small copy comes from Node's 8 KiB pool, so an element keeps at most that much alive.
 */
function copy(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  out.set(bytes);
  return out;
}

/** A string value at [start, end) of an element (without its quotes). */
function fieldValue(element: Buffer, start: number, end: number, escaped: boolean): string {
  // With its quotes, the value is a JSON string: JSON.parse reads its escapes.
  return escaped ? (JSON.parse(element.toString("utf8", start - 1, end + 1)) as string) : element.toString("utf8", start, end);
}

/**
 * A valid JSON text without the blanks between its tokens: on one line, every value exactly as sent (re-serialising
 * with JSON.stringify would not be: a number beyond a double's precision would change).
 */
function withoutBlanks(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  let length = 0;
  let inString = false;
  let escaped = false;
  for (const byte of bytes) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (isSpace(byte)) {
      continue;
    } else if (byte === QUOTE) {
      inString = true;
    }
    out[length++] = byte;
  }
  return Buffer.from(out.subarray(0, length));
}

/** The state after `byte` in a number, AFTER_VALUE when the number ended before it, or -1 when the number is invalid. */
function numberStep(state: number, byte: number): number {
  const digit = byte >= ZERO && byte <= NINE;
  switch (state) {
    case NUMBER_SIGN:
      return byte === ZERO ? NUMBER_ZERO : digit ? NUMBER_INTEGER : -1;
    case NUMBER_ZERO:
      return byte === POINT ? NUMBER_POINT : byte === 0x65 || byte === 0x45 ? NUMBER_EXPONENT : digit ? -1 : AFTER_VALUE;
    case NUMBER_INTEGER:
      return digit ? NUMBER_INTEGER : byte === POINT ? NUMBER_POINT : byte === 0x65 || byte === 0x45 ? NUMBER_EXPONENT : AFTER_VALUE;
    case NUMBER_POINT:
      return digit ? NUMBER_FRACTION : -1;
    case NUMBER_FRACTION:
      return digit ? NUMBER_FRACTION : byte === 0x65 || byte === 0x45 ? NUMBER_EXPONENT : AFTER_VALUE;
    case NUMBER_EXPONENT:
      return byte === PLUS || byte === MINUS ? NUMBER_EXPONENT_SIGN : digit ? NUMBER_EXPONENT_DIGITS : -1;
    case NUMBER_EXPONENT_SIGN:
      return digit ? NUMBER_EXPONENT_DIGITS : -1;
    default:
      return digit ? NUMBER_EXPONENT_DIGITS : AFTER_VALUE;
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function isEscapable(byte: number): boolean {
  // " \ / b f n r t
  return byte === QUOTE || byte === BACKSLASH || byte === 0x2f || byte === 0x62 || byte === 0x66 || byte === 0x6e || byte === 0x72 || byte === 0x74;
}

function isHexDigit(byte: number): boolean {
  return (byte >= ZERO && byte <= NINE) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** A UTF-8 byte order mark (EF BB BF) may precede the array. */
function isByteOrderMark(byte: number): boolean {
  return byte === 0xef || byte === 0xbb || byte === 0xbf;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function quoteByte(byte: number): string {
  return byte < 0x20 || byte > 0x7e ? `byte 0x${byte.toString(16).padStart(2, "0")}` : JSON.stringify(String.fromCharCode(byte));
}
