/**
 * Parsers for the textual values configuration accepts. Each returns the parsed value, or a string saying what was
 * expected (the caller adds which field it was and where it came from).
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; expected: string };

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** "90s", "5m", "1h", "3d", "1.5h" → milliseconds (a bare number is refused: the unit is never guessed). */
export function parseDuration(text: string): Parsed<number> {
  const match = DURATION.exec(text.trim());
  const unit = match?.[2];
  if (match === null || unit === undefined) return { ok: false, expected: 'a duration with a unit, such as "90s", "5m", "1h" or "3d"' };
  return { ok: true, value: Math.round(Number(match[1]) * (DURATION_UNITS_MS[unit] ?? 1)) };
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};
const SIZE = /^(\d+)\s*([a-z]*)$/i;

/** "134217728", "128MiB", "100MB" → bytes. */
export function parseByteSize(text: string): Parsed<number> {
  const match = SIZE.exec(text.trim());
  const factor = SIZE_UNITS[(match?.[2] ?? "").toLowerCase() || "b"];
  if (match === null || factor === undefined) return { ok: false, expected: 'a size in bytes, such as "134217728", "128MiB" or "100MB"' };
  return { ok: true, value: Number(match[1]) * factor };
}

export function parseInteger(text: string, min: number, max: number): Parsed<number> {
  const value = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) return { ok: false, expected: `a whole number from ${min} to ${max}` };
  return { ok: true, value };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseGuid(text: string): Parsed<string> {
  const value = text.trim();
  if (!GUID.test(value)) return { ok: false, expected: "a GUID such as 00000000-0000-0000-0000-000000000000" };
  return { ok: true, value: value.toLowerCase() };
}

export function parseChoice<T extends string>(text: string, choices: readonly T[]): Parsed<T> {
  const value = text.trim();
  const match = choices.find((choice) => choice === value);
  if (match === undefined) return { ok: false, expected: `one of ${choices.join(", ")}` };
  return { ok: true, value: match };
}

/** An https URL without query or fragment; a trailing slash is dropped so paths can be appended. */
export function parseHttpsUrl(text: string): Parsed<string> {
  const expected = "an https URL such as https://127.0.0.1:8443 (plain http is refused: a bearer token only travels over TLS)";
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, expected };
  }
  if (url.protocol !== "https:" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return { ok: false, expected };
  }
  return { ok: true, value: url.href.replace(/\/+$/, "") };
}
