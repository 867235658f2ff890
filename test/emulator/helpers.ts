import tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { request } from "undici";
import type { ContentDescriptor } from "../../collector/src/source/content.ts";
import { startEmulator } from "../../emulator/src/index.ts";
import type { Emulator, EmulatorOptions } from "../../emulator/src/index.ts";

export const FIXED_NOW = new Date("2026-03-04T12:00:00.000Z");

const trusted = [...tls.getCACertificates("default")];

/** Starts an emulator on a frozen clock and makes this process trust its CA (as a collector would), besides earlier ones. */
export async function startTrusted(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator({ now: FIXED_NOW, freezeClock: true, ...options });
  trusted.push(emulator.caPem);
  tls.setDefaultCACertificates(trusted);
  return emulator;
}

/** A token from the emulator's authority through the real ClientSecretCredential (a fresh credential: no cached token). */
export async function tokenFor(emulator: Emulator, tenantId: string, clientId: string, secret: string): Promise<string> {
  const credential = new ClientSecretCredential(tenantId, clientId, secret, { authorityHost: emulator.authorityUrl, disableInstanceDiscovery: true });
  const token = await credential.getToken("https://manage.office.com/.default");
  return token.token;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The parsed body, or undefined for an empty body. */
  json: unknown;
}

/** A thin client for the activity feed: every call returns status, headers and body, never throws on HTTP errors. */
export class FeedClient {
  readonly root: string;
  readonly #token: string | undefined;

  constructor(emulator: Emulator, tenantId: string, token: string | undefined) {
    this.root = `${emulator.managementUrl}/api/v1.0/${tenantId}/activity/feed`;
    this.#token = token;
  }

  async call(url: string, method: "GET" | "POST" = "GET", options: { headersTimeout?: number } = {}): Promise<Answer> {
    const headers = this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` };
    const res = await request(url, { method, headers, ...options });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text, json: text === "" ? undefined : JSON.parse(text) };
  }

  /** The body as bytes, for bodies that are not JSON (or not even UTF-8). */
  async bytes(url: string): Promise<{ status: number; body: Buffer }> {
    const headers = this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` };
    const res = await request(url, { headers });
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
  }

  start(contentType: string): Promise<Answer> {
    return this.call(`${this.root}/subscriptions/start?contentType=${contentType}`, "POST");
  }

  stop(contentType: string): Promise<Answer> {
    return this.call(`${this.root}/subscriptions/stop?contentType=${contentType}`, "POST");
  }

  subscriptions(): Promise<Answer> {
    return this.call(`${this.root}/subscriptions/list`);
  }

  content(contentType: string, window?: { startTime: string; endTime: string }): Promise<Answer> {
    const query = new URLSearchParams({ contentType, ...window });
    return this.call(`${this.root}/subscriptions/content?${query.toString()}`);
  }

  /** Every descriptor of a listing, following NextPageUri until it is absent; also returns how many pages it took. */
  async listAll(contentType: string, window?: { startTime: string; endTime: string }): Promise<{ descriptors: ContentDescriptor[]; pages: number }> {
    const descriptors: ContentDescriptor[] = [];
    let answer = await this.content(contentType, window);
    let pages = 1;
    for (;;) {
      if (answer.status !== 200) throw new Error(`listing answered ${answer.status}: ${answer.text}`);
      descriptors.push(...(answer.json as ContentDescriptor[]));
      const next = answer.headers["nextpageuri"];
      if (typeof next !== "string") return { descriptors, pages };
      answer = await this.call(next);
      pages += 1;
    }
  }
}

export function errorCode(answer: Answer): string | undefined {
  return (answer.json as { error?: { code?: string } } | undefined)?.error?.code;
}

/** The API's time format with seconds, plus milliseconds when the instant has them. */
export function apiTime(date: Date): string {
  return date.toISOString().replace("Z", "");
}
