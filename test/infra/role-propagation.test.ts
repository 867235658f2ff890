import { describe, expect, it } from "vitest";
import { propagationWaitMs, ROLE_PROPAGATION_MS } from "../../infra/role-propagation.ts";

describe("propagationWaitMs", () => {
  const now = Date.parse("2026-11-22T10:00:00Z");

  it.each([
    ["just created", "2026-11-22T10:00:00Z", ROLE_PROPAGATION_MS],
    ["created two minutes ago", "2026-11-22T09:58:00Z", ROLE_PROPAGATION_MS - 120_000],
    ["created an hour ago (a later `up`)", "2026-11-22T09:00:00Z", 0],
    ["stamped a little ahead of this clock", "2026-11-22T10:00:30Z", ROLE_PROPAGATION_MS],
    ["unknown (preview, mocks)", undefined, 0],
    ["unreadable", "yesterday", 0],
  ])("should wait the rest of the propagation time for an assignment %s", (_, createdOn, expected) => {
    expect(propagationWaitMs(createdOn, now)).toBe(expected);
  });
});
