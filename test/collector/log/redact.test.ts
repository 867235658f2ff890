import { describe, expect, it } from "vitest";
import { createLogger } from "../../../collector/src/log/logger.ts";
import { REDACTED, redact, redactText } from "../../../collector/src/log/redact.ts";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2lnbmF0dXJl";

describe("redact", () => {
  it.each([
    ["clientSecret", "s3cr3t"],
    ["client_secret", "s3cr3t"],
    ["Authorization", "Bearer abc"],
    ["accessToken", "abc"],
    ["password", "hunter2"],
    ["client_assertion", "abc"],
    ["sharedKey", "abc"],
  ])("should censor the field %s whatever its value", (key, value) => {
    expect(redact({ [key]: value })).toEqual({ [key]: REDACTED });
  });

  it.each([
    ["a JWT anywhere in a string", `token was ${JWT} here`, `token was ${REDACTED} here`],
    ["a bearer header value", "authorization: Bearer abc.def", `authorization: Bearer ${REDACTED}`],
    ["a SAS signature", "https://acct.blob.core.windows.net/c?sv=1&sig=abc%2F&se=2", `https://acct.blob.core.windows.net/c?sv=1&sig=${REDACTED}&se=2`],
    ["a PEM private key", "x -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY----- y", `x ${REDACTED} y`],
  ])("should censor %s in any field", (_name, input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redact({ note: input })).toEqual({ note: expected });
  });

  it("should keep errors readable without leaking what their messages carry", () => {
    const error = Object.assign(new Error(`request failed with ${JWT}`), { code: "AF_ERR_AUTH" });
    expect(redact({ error })).toEqual({ error: { name: "Error", message: `request failed with ${REDACTED}`, code: "AF_ERR_AUTH" } });
  });

  it("should not mutate its input, and should survive cycles and dates", () => {
    const input: Record<string, unknown> = { secret: "x", at: new Date("2026-11-23T00:00:00Z") };
    input["self"] = input;
    expect(redact(input)).toEqual({ secret: REDACTED, at: "2026-11-23T00:00:00.000Z", self: "[Circular]" });
    expect(input["secret"]).toBe("x");
  });
});

describe("createLogger", () => {
  it("should write one redacted JSON line per call at or above its level, with bound fields", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", write: (line) => lines.push(line), now: () => new Date(0) }).child({ tenantId: "t" });
    logger.debug("hidden");
    logger.warn(`token ${JWT}`, { clientSecret: "s", count: 2 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "warn",
      msg: `token ${REDACTED}`,
      tenantId: "t",
      clientSecret: REDACTED,
      count: 2,
    });
  });
});
