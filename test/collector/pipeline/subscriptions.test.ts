import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../collector/src/log/logger.ts";
import { ensureSubscriptions } from "../../../collector/src/pipeline/subscriptions.ts";
import type { ContentType } from "../../../collector/src/source/content.ts";

const SERVER_NOW = new Date("2026-11-20T12:00:00.000Z");
const MACHINE_NOW = new Date("2026-12-25T08:00:00.000Z");

/** A client whose server clock is known only once its first response arrived, as ManagementClient's is. */
function fakeClient(enabled: ContentType[] = []) {
  const calls: Array<{ call: string; signal: AbortSignal | undefined }> = [];
  let clock = MACHINE_NOW;
  return {
    calls,
    serverNow: () => clock,
    client: {
      listSubscriptions: (signal?: AbortSignal) => {
        calls.push({ call: "list", signal });
        clock = SERVER_NOW;
        return Promise.resolve(enabled.map((contentType) => ({ contentType, status: "enabled" })));
      },
      startSubscription: (contentType: ContentType, signal?: AbortSignal) => {
        calls.push({ call: `start ${contentType}`, signal });
        return Promise.resolve("started" as const);
      },
    },
  };
}

describe("ensureSubscriptions", () => {
  it("should stamp a start with the server's clock, read after the first response, and pass the signal to every call", async () => {
    const { client, serverNow, calls } = fakeClient(["Audit.Exchange"]);
    const stop = new AbortController();
    const states = await ensureSubscriptions(client, ["Audit.Exchange", "Audit.General"], {}, serverNow, silentLogger, stop.signal);
    expect(states.get("Audit.Exchange")).toEqual({ ready: true });
    expect(states.get("Audit.General")).toEqual({ ready: true, startedAt: SERVER_NOW });
    expect(calls).toEqual([
      { call: "list", signal: stop.signal },
      { call: "start Audit.General", signal: stop.signal },
    ]);
  });

  it("should space starts 15 minutes apart on the server's clock", async () => {
    const cursor = (minutesAgo: number) => ({
      origin: SERVER_NOW.toISOString(),
      listedThrough: null,
      subscriptionStartedAt: new Date(SERVER_NOW.getTime() - minutesAgo * 60_000).toISOString(),
    });
    const recent = fakeClient();
    const waiting = await ensureSubscriptions(recent.client, ["DLP.All"], { "DLP.All": cursor(10) }, recent.serverNow, silentLogger);
    expect(waiting.get("DLP.All")).toMatchObject({ ready: false });
    const older = fakeClient();
    const started = await ensureSubscriptions(older.client, ["DLP.All"], { "DLP.All": cursor(16) }, older.serverNow, silentLogger);
    expect(started.get("DLP.All")).toEqual({ ready: true, startedAt: SERVER_NOW });
  });
});
