import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
  type TokenCredential,
} from "@azure/identity";
import { CLOUDS } from "../config/clouds.ts";
import type { CollectorConfig } from "../config/config.ts";
import { AuditfeedError, isAuditfeedError } from "../errors.ts";
import { aadstsCode, diagnoseEntraError, messageChain } from "./entra-errors.ts";
import { unreachableReason } from "../net/reachability.ts";

/**
 * The @azure/identity credential for the configured kind. Token caching and refresh stay the library's job.
 * The authority is the cloud's login host unless overridden (the emulator); instance discovery is only turned off
 * for an override, because discovery is what validates a real authority.
 */
export function createCredential(config: CollectorConfig): TokenCredential {
  return explainingRefusals(credentialFor(config), config);
}

/**
 * Entra's refusals as AF_ERR_AUTH saying what the AADSTS code means for this app and tenant and how to fix it (the
 * same diagnosis `auditfeed doctor` prints); Entra's own message stays the cause. A failure without an answer from
 * Entra because its host cannot be reached is AF_ERR_NETWORK naming the host: no network is not a credential problem.
 * Anything else passes unchanged.
 */
function explainingRefusals(credential: TokenCredential, config: CollectorConfig): TokenCredential {
  return {
    async getToken(scopes, options) {
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        if (options?.abortSignal?.aborted === true || isAuditfeedError(error)) throw error;
        const message = messageChain(error);
        const code = aadstsCode(message);
        if (code === undefined) {
          const authority = authorityOf(config);
          const unreachable = await unreachableReason(authority, options?.abortSignal as AbortSignal | undefined);
          if (unreachable === undefined) throw error;
          throw new AuditfeedError(
            "AF_ERR_NETWORK",
            `Entra's token endpoint cannot be reached: ${unreachable}. The collector needs outbound HTTPS to ${new URL(authority).host} and to the Management API; check DNS, the firewall or the proxy (auditfeed doctor checks each host).`,
            { retryable: true, cause: error },
          );
        }
        const diagnosis = diagnoseEntraError(code, message, config);
        throw new AuditfeedError("AF_ERR_AUTH", `${diagnosis.summary} ${diagnosis.fix}`, { cause: error });
      }
    },
  };
}

/** The Entra authority the credential asks: the override (the emulator), else the cloud's login host. */
function authorityOf(config: CollectorConfig): string {
  return config.endpoints.authorityUrl ?? `https://${CLOUDS[config.cloud].authorityHost}`;
}

function credentialFor(config: CollectorConfig): TokenCredential {
  const cloud = CLOUDS[config.cloud];
  const overridden = config.endpoints.authorityUrl !== undefined;
  const options = { authorityHost: authorityOf(config), disableInstanceDiscovery: overridden };
  const { tenantId, clientId, credential } = config;
  switch (credential.kind) {
    case "secret":
      return new ClientSecretCredential(tenantId, clientId, credential.clientSecret, options);
    case "certificate":
      return new ClientCertificateCredential(tenantId, clientId, { certificatePath: credential.certificatePath }, options);
    case "workload-identity":
      return new WorkloadIdentityCredential({ tenantId, clientId, ...options });
    case "federated": {
      const identity = createManagedIdentityCredential(config);
      // The app trusts the managed identity through a federated credential whose audience is the exchange audience.
      const assertionScope = `${cloud.tokenExchangeAudience}/.default`;
      const getAssertion = async (): Promise<string> => {
        try {
          return (await identity.getToken(assertionScope)).token;
        } catch (error) {
          throw new AuditfeedError(
            "AF_ERR_AUTH",
            `The managed identity could not issue the federated assertion for ${assertionScope}: check that a managed identity is assigned to this host${credential.managedIdentityClientId === undefined ? "" : ` with client ID ${credential.managedIdentityClientId}`}, and that the app registration has a federated credential for it.`,
            { cause: error },
          );
        }
      };
      return new ClientAssertionCredential(tenantId, clientId, getAssertion, options);
    }
  }
}

/** The host's managed identity: what signs the federated assertion, and what sinks in Azure (Sentinel, Blob) authenticate with. */
export function createManagedIdentityCredential(config: CollectorConfig): ManagedIdentityCredential {
  if (config.endpoints.managedIdentityUrl !== undefined) {
    // @azure/identity only reads the endpoint from the environment, as App Service and Container Apps set it
    // (IDENTITY_ENDPOINT beside IDENTITY_HEADER); the override therefore goes there, before the first token.
    process.env["IDENTITY_ENDPOINT"] = config.endpoints.managedIdentityUrl;
  }
  // One user-assigned identity per job (managedIdentityClientId): the configuration keeps it with the federated
  // credential it signs for, or with the Blob state it signs in to; the sinks sign in as the same identity.
  const clientId =
    config.credential.kind === "federated"
      ? config.credential.managedIdentityClientId
      : config.state.kind === "azblob"
        ? config.state.managedIdentityClientId
        : undefined;
  return clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId });
}
