/**
 * Redaction for everything auditfeed logs or puts into an error it reports. Two nets, because either alone leaks:
 * fields whose name says "secret" are censored whatever their value, and values that look like a credential
 * (a JWT, a bearer header, a SAS signature, a PEM key) are censored whatever their field is called.
 */
export const REDACTED = "[Redacted]";

const SECRET_KEY = /secret|token|password|passwd|authorization|assertion|credential|private.?key|sharedkey|sig$/i;
const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g;
const BEARER = /(bearer\s+)[^\s"',;]+/gi;
const SAS_SIGNATURE = /([?&]sig=)[^&\s"']+/gi;
const PEM_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

export function redactText(text: string): string {
  return text.replace(PEM_KEY, REDACTED).replace(JWT, REDACTED).replace(BEARER, `$1${REDACTED}`).replace(SAS_SIGNATURE, `$1${REDACTED}`);
}

/** A deep copy of `value` that is safe to log; the input is never mutated. Cycles become "[Circular]". */
export function redact(value: unknown, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof value === "string") return redactText(value);
  if (value === null || typeof value !== "object") return value;
  if (value instanceof Date) return value.toISOString();
  if (seen.has(value)) return "[Circular]";
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: redactText(value.message) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out["code"] = code;
    if (value.cause !== undefined) out["cause"] = redact(value.cause, seen);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redact(item, seen);
  }
  return out;
}
