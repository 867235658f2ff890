import type { CollectorConfig } from "../config/config.ts";

/**
 * The Entra (AADSTS) codes a client-credentials sign-in fails with, each with what it means for auditfeed and the
 * fix. Codes and wording as Entra returns them (checked against the emulator's identity provider, which emits the
 * same codes, and public reports of each): 7000215 wrong secret, 7000222 expired secret, 700027 / 1000502 certificate
 * not registered or expired, 700016 app not in the tenant, 7000229 / 65001 / 500011 consent or service principal
 * missing, 700236 managed identity of another tenant, 700211 / 700213 / 70021 federated credential mismatch, 700024
 * clock, 90002 tenant. Used by the collector (the AF_ERR_AUTH it logs) and by `auditfeed doctor`.
 */
export interface EntraDiagnosis {
  readonly summary: string;
  readonly fix: string;
}

const RENEW =
  "Run `pulumi up` on the tenant's stack (it creates and stores a new credential), or add one in Entra → App registrations → Certificates & secrets";

export function diagnoseEntraError(code: number, message: string, config: CollectorConfig): EntraDiagnosis {
  const app = `app ${config.clientId}`;
  const tenant = `tenant ${config.tenantId}`;
  switch (code) {
    case 7000215:
      return {
        summary: `Entra rejected the client secret of ${app} (AADSTS7000215: wrong secret).`,
        fix: "Give the secret's Value, not its Secret ID, in AUDITFEED_CLIENT_SECRET; if it was rotated, use the current one from the Key Vault the stack created.",
      };
    case 7000222:
      return { summary: `The client secret of ${app} has expired (AADSTS7000222).`, fix: `${RENEW}, then update AUDITFEED_CLIENT_SECRET.` };
    case 700027:
    case 1000502:
      return /expired|valid(ity)? (period|window)/i.test(message)
        ? { summary: `The certificate of ${app} has expired (AADSTS${code}).`, fix: `${RENEW}, then point certificatePath at the new PEM file.` }
        : {
            summary: `Entra does not know the certificate that signed the assertion of ${app} (AADSTS${code}).`,
            fix: "Upload this certificate's public part to the app registration (Certificates & secrets), or point certificatePath at the PEM whose certificate is registered there.",
          };
    case 700016:
      return {
        summary: `Entra finds no ${app} in ${tenant} (AADSTS700016).`,
        fix: "Check clientId and tenantId (and cloud: a GCC High tenant signs in on login.microsoftonline.us); for an app registered in another tenant, have an administrator of this tenant consent to it.",
      };
    case 7000229:
    case 65001:
    case 650052:
      return {
        summary: `${app} has no service principal or admin consent in ${tenant} (AADSTS${code}).`,
        fix: `Have a Global Administrator of ${tenant} grant admin consent to the app (infra/ does it in code: in MSSP mode the tenant's stack creates the provider app's service principal there; or Entra → Enterprise applications → Permissions → Grant admin consent). After the tenant was offboarded (its stack destroyed) this is expected: stop collecting it.`,
      };
    case 700236:
      return {
        summary: `Entra refused the managed identity's token as the credential of ${app}: they are in different tenants (AADSTS700236).`,
        fix: "A federated credential trusts only a managed identity of the app's own tenant. Use the identity of the app's tenant (in MSSP mode, the provider stack's identity, AUDITFEED_MANAGED_IDENTITY_CLIENT_ID from the tenant stack's job).",
      };
    case 500011:
      return {
        summary: `The "Office 365 Management APIs" resource is not available in ${tenant} (AADSTS500011).`,
        fix: "Check that cloud matches the tenant (the scope follows the cloud), and that the tenant has a Microsoft 365 subscription with the Office 365 Management APIs service principal.",
      };
    case 700211:
    case 700213:
    case 70021:
      return {
        summary: `No federated credential of ${app} matches the presented assertion (AADSTS${code}).`,
        fix: "In the app's Certificates & secrets → Federated credentials, the issuer, subject (the managed identity's object/principal ID, or the service account) and audience (api://AzureADTokenExchange, …USGov in US Government) must equal the assertion's; `pulumi up` recreates them.",
      };
    case 700024:
      return {
        summary: `Entra says the client assertion of ${app} is outside its valid time range (AADSTS700024).`,
        fix: "Synchronise this host's clock (NTP); Entra allows only a few minutes of skew.",
      };
    case 90002:
      return {
        summary: `Entra does not know ${tenant} on ${config.cloud === "gcchigh" || config.cloud === "dod" ? "login.microsoftonline.us" : "login.microsoftonline.com"} (AADSTS90002).`,
        fix: "Check tenantId, and cloud: GCC High and DoD tenants sign in on the US Government cloud (cloud gcchigh or dod).",
      };
    default:
      return {
        summary: `Entra refused the sign-in of ${app} (AADSTS${code}).`,
        fix: `Look the code up at https://login.microsoftonline.com/error?code=${code}, then fix the app registration or the credential.`,
      };
  }
}

/** The messages of an error and its causes, joined: @azure/identity puts Entra's answer a cause or two down. */
export function messageChain(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current instanceof Error && parts.length < 5; current = current.cause) parts.push(current.message);
  return parts.length > 0 ? parts.join(" ") : String(error);
}

/** The first AADSTS code in a message, or undefined when Entra did not answer (network, managed identity, ...). */
export function aadstsCode(message: string): number | undefined {
  const code = /AADSTS(\d+)/.exec(message)?.[1];
  return code === undefined ? undefined : Number(code);
}
