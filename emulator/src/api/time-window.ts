import { errors } from "./af-errors.ts";
import type { ApiError } from "./af-errors.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The documented formats (date, minutes, seconds, all UTC), plus the RFC 3339 forms production collectors send. */
const FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?Z?$/;

export interface Window {
  fromMs: number;
  toMs: number;
}

export function parseApiTime(text: string): number | undefined {
  const match = FORMAT.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h = "00", mi = "00", s = "00", fractionDigits = "0"] = match;
  const ms = Number(fractionDigits.padEnd(3, "0").slice(0, 3));
  const value = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  const check = new Date(value);
  // Date.UTC rolls 2026-02-31 over to March; the API rejects such dates.
  if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return undefined;
  return value;
}

/** How the emulator writes times into NextPageUri: the documented seconds form, with milliseconds only when the window has them. */
export function formatApiTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return ms % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
}

/**
 * The listing window rules: both or neither (neither = the 24 h before now), at most 24 h apart, start no more than
 * 7 days back, start before end. AF20030 answers the both-or-neither rule; AF20055 (the newer code, which adds
 * "start before end") answers the rest, as a live tenant answered a start 9 days back (UNCONFIRMED which code
 * the service picks for each rule).
 */
export function resolveWindow(startTime: string | undefined, endTime: string | undefined, nowMs: number): Window | ApiError {
  if (startTime === undefined && endTime === undefined) return { fromMs: nowMs - DAY_MS, toMs: nowMs };
  if (startTime === undefined || endTime === undefined) return errors.windowRule();
  const fromMs = parseApiTime(startTime);
  if (fromMs === undefined) return errors.wrongParameterType("startTime", "datetime");
  const toMs = parseApiTime(endTime);
  if (toMs === undefined) return errors.wrongParameterType("endTime", "datetime");
  if (fromMs >= toMs || toMs - fromMs > DAY_MS || fromMs < nowMs - 7 * DAY_MS) return errors.windowRuleOrdered();
  return { fromMs, toMs };
}
