import { AuditfeedError } from "../errors.ts";

/**
 * Checks a URL the API handed back (a `contentUri`, a `NextPageUri`) before anything is sent to it: only the
 * configured Management API origin over https may receive the bearer token, so a poisoned or spoofed listing cannot
 * make the collector leak it.
 */
export function assertTrustedUrl(raw: string, trustedOrigin: string, what: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== "https:" || url.origin !== trustedOrigin || url.username !== "" || url.password !== "") {
    const host = url === undefined ? "an unparsable address" : `${url.protocol}//${url.host}`;
    throw new AuditfeedError(
      "AF_ERR_UNTRUSTED_URL",
      `The ${what} points to ${host}, not to the Management API at ${trustedOrigin}: auditfeed did not follow it and sent no token. If the API really moved, set managementUrl; otherwise something rewrote the API's answer.`,
    );
  }
  return url;
}
