import { lookup } from "node:dns/promises";
import { connect, isIP } from "node:net";
import { abortable } from "../retry/backoff.ts";

const STEP_TIMEOUT_MS = 3_000;

/**
 * Why `url`'s host cannot be reached from here (DNS, then a TCP connection), as a phrase naming the host; undefined
 * when it can. For failures that do not say so themselves: @azure/identity reports a token request to an unreachable
 * authority only as "endpoints_resolution_error", which reads like a credential problem.
 */
export async function unreachableReason(url: string, signal?: AbortSignal): Promise<string | undefined> {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const port = Number(parsed.port || (parsed.protocol === "http:" ? 80 : 443));
  let address = host;
  if (isIP(host) === 0) {
    try {
      address = (await abortable(withTimeout(lookup(host)), signal)).address;
    } catch (error) {
      if (signal?.aborted) throw error;
      return `DNS cannot resolve ${host} (${codeOf(error)})`;
    }
  }
  try {
    await abortable(reachable(address, port), signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    return `no TCP connection to ${host}:${port} (${codeOf(error)})`;
  }
  return undefined;
}

function reachable(host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: STEP_TIMEOUT_MS });
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("timeout", () => socket.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    socket.once("error", reject);
  });
}

function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
}
