import type { BlobFolder } from "../storage/blob-container.ts";
import type { Cloud } from "./clouds.ts";

/** Where state lives: a local SQLite file, or a folder of a container in Azure Blob storage. */
export type StateConfig = { readonly kind: "sqlite"; readonly path: string } | ({ readonly kind: "azblob" } & BlobFolder);

export const AZBLOB_SCHEME = "azblob://";

/** Azure's rules: account 3-24 lowercase letters and digits; container 3-63 of lowercase letters, digits and single hyphens. */
const ACCOUNT = /^[a-z0-9]{3,24}$/;
const CONTAINER = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function isAzblobLocation(text: string): boolean {
  return text.trim().toLowerCase().startsWith(AZBLOB_SCHEME);
}

/**
 * `azblob://<account>/<container>[/<prefix>]` plus the endpoint: the endpoint defaults to the cloud's, and an
 * explicit one must be https (plain http only on this machine, for Azurite) and name the same account.
 * Returns the location, or what is wrong with it.
 */
export function parseAzblobLocation(
  text: string,
  endpoint: string | undefined,
  cloud: Cloud,
): { ok: true; value: { account: string; container: string; prefix: string; accountUrl: string } } | { ok: false; problem: string } {
  const [account = "", container = "", ...rest] = text.trim().slice(AZBLOB_SCHEME.length).split("/");
  const prefix = rest.filter((part) => part !== "").join("/");
  if (!ACCOUNT.test(account) || !CONTAINER.test(container)) {
    return {
      ok: false,
      problem: `expected azblob://<account>/<container>[/<prefix>] with a storage account name (3-24 lowercase letters and digits) and a container name (3-63 lowercase letters, digits and hyphens)`,
    };
  }
  if (endpoint === undefined) return { ok: true, value: { account, container, prefix, accountUrl: `https://${account}.blob.${cloud.storageSuffix}` } };
  let url: URL;
  try {
    url = new URL(endpoint.trim());
  } catch {
    return { ok: false, problem: `the blob endpoint ${JSON.stringify(endpoint)} is not a URL; give e.g. https://${account}.blob.${cloud.storageSuffix}` };
  }
  const secure = url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
  if (!secure || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    return {
      ok: false,
      problem: `the blob endpoint ${JSON.stringify(endpoint)} must be an https URL without query (plain http only on 127.0.0.1, for Azurite)`,
    };
  }
  const accountUrl = url.href.replace(/\/+$/, "");
  const namesAccount = url.hostname.split(".")[0] === account || url.pathname.split("/")[1] === account;
  if (!namesAccount) return { ok: false, problem: `the blob endpoint ${accountUrl} is not the endpoint of account ${account}` };
  return { ok: true, value: { account, container, prefix, accountUrl } };
}
