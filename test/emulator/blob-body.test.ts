import { once } from "node:events";
import { createServer, get } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { streamJsonArray } from "../../emulator/src/api/blob-body.ts";

describe("streamJsonArray", () => {
  it("should stream a large array to a slow reader without piling up listeners", async () => {
    const counts: Array<{ drain: number; close: number }> = [];
    const server = createServer((_request, response) => {
      const before = { drain: response.listenerCount("drain"), close: response.listenerCount("close") };
      const records = (function* () {
        for (let index = 0; index < 40_000; index++) yield { Id: `record-${index}`, padding: "x".repeat(200) };
      })();
      void streamJsonArray(response, records).then(() => {
        counts.push(before, { drain: response.listenerCount("drain"), close: response.listenerCount("close") });
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    const body = await new Promise<string>((resolve, reject) => {
      get({ host: "127.0.0.1", port, path: "/" }, (response) => {
        let text = "";
        response.on("data", (chunk: Buffer) => {
          text += chunk.toString();
          response.pause();
          void sleep(1).then(() => response.resume());
        });
        response.on("end", () => resolve(text));
      }).on("error", reject);
    });
    server.close();
    const parsed = JSON.parse(body) as Array<{ Id: string }>;
    expect(parsed).toHaveLength(40_000);
    expect(parsed.at(-1)?.Id).toBe("record-39999");
    expect(counts).toHaveLength(2);
    expect(counts[1]).toEqual(counts[0]);
  });
});
