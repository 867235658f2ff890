import type { Operation } from "./scripted-faults.ts";

/** A request to the activity feed, as far as its URL tells. */
export interface Route {
  tenantId: string;
  op: Operation;
  /** Only for fetch: the content id in the path. */
  contentId?: string;
  /** The HTTP method this operation takes. */
  method: "GET" | "POST";
}

const ROOT = /^\/api\/v1(?:\.0)?\/([^/]+)\/activity\/feed\/(.+)$/i;
const SUBSCRIPTION_OPS: Readonly<Record<string, { op: Operation; method: "GET" | "POST" }>> = {
  start: { op: "start", method: "POST" },
  stop: { op: "stop", method: "POST" },
  list: { op: "list-subscriptions", method: "GET" },
  content: { op: "list-content", method: "GET" },
};

/** Maps a path to its operation; paths and segment names are case-insensitive, as on the real (ASP.NET) service. */
export function parseRoute(pathname: string): Route | undefined {
  const match = ROOT.exec(pathname);
  if (match === null) return undefined;
  const tenantId = decodeURIComponent(match[1] ?? "").toLowerCase();
  const rest = match[2] ?? "";
  const [head, tail, extra] = rest.split("/");
  if (extra !== undefined || tail === undefined) return undefined;
  if (head?.toLowerCase() === "subscriptions") {
    const known = SUBSCRIPTION_OPS[tail.toLowerCase()];
    return known === undefined ? undefined : { tenantId, ...known };
  }
  if (head?.toLowerCase() === "audit") return { tenantId, op: "fetch", method: "GET", contentId: decodeURIComponent(tail) };
  return undefined;
}

/** Query parameters by lower-cased name: the service binds them case-insensitively. */
export function queryOf(url: URL): Map<string, string> {
  const query = new Map<string, string>();
  for (const [name, value] of url.searchParams) query.set(name.toLowerCase(), value);
  return query;
}
