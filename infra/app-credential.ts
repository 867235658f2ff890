import type * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Cloud } from "../collector/src/config/clouds.ts";
import type { CredentialMode } from "./config.ts";
import { SECRET_MOUNT_PATH } from "./job-wiring.ts";
import type { JobWiring } from "./job-wiring.ts";
import type { RotationWindow } from "./rotation.ts";
import { vaultSecret, type StackVault } from "./vault-secret.ts";

export interface AppCredentialArgs {
  readonly mode: CredentialMode;
  /** The app registration's resource id, `/applications/{objectId}`. */
  readonly applicationResourceId: pulumi.Input<string>;
  /** The customer tenant, which owns the app registration. */
  readonly tenantId: string;
  readonly cloud: Cloud;
  /** The collector's user-assigned managed identity. */
  readonly identity: {
    /** Object (principal) id: the subject of the federated credential. */
    readonly principalId: pulumi.Input<string>;
    /** The Entra tenant the identity lives in; federated mode refuses to deploy unless it is `tenantId`. */
    readonly tenantId: pulumi.Input<string>;
  };
  /** The Key Vault that keeps a secret or certificate; the collector's identity can read it. */
  readonly vault: StackVault;
  readonly rotation: RotationWindow;
  /** Subject common name of the certificate. */
  readonly certificateSubject: string;
}

/** Secret names in Key Vault and in the job: the same on both sides, so a reader of either finds the other. */
export const CLIENT_SECRET_NAME = "client-secret";
export const CLIENT_CERTIFICATE_NAME = "client-certificate";
const CERTIFICATE_FILE = "client-certificate.pem";

/** Issuer of managed-identity tokens of a tenant: what the app's federated credential trusts. */
export function managedIdentityIssuer(cloud: Cloud, tenantId: string): string {
  return `https://${cloud.authorityHost}/${tenantId}/v2.0`;
}

/** Refuses a managed identity from another tenant, which Entra would reject later with AADSTS700236. */
export function assertSameTenant(identityTenantId: string, appTenantId: string): string {
  if (identityTenantId.toLowerCase() !== appTenantId.toLowerCase()) {
    throw new Error(
      `credential federated needs the collector's managed identity in the customer tenant ${appTenantId}, but it was created in tenant ${identityTenantId}. Set auditfeed:credential to certificate or secret, or deploy the runtime into a subscription of the customer tenant.`,
    );
  }
  return appTenantId;
}

/**
 * The collector's credential for its app registration, in one of three modes:
 * - `federated`: the collector's managed identity is a federated credential of the app; nothing secret exists.
 * - `certificate`: a self-signed certificate whose private key lives only in Pulumi's encrypted state and Key Vault.
 * - `secret`: a client secret (ApplicationPassword) kept in Key Vault.
 * Certificates and secrets are replaced once per rotation period; Pulumi creates the replacement, points Key Vault at
 * it, and only then deletes the old one (its default create-before-delete), so the collector never holds a dead one.
 */
export class AppCredential extends pulumi.ComponentResource {
  /** Settings, secrets and files the collector job needs for this credential. */
  public readonly wiring: JobWiring;
  /** When the current credential stops working (RFC 3339), or undefined for a federated credential. */
  public readonly expiresAt: pulumi.Output<string> | undefined;
  /** The credential resource: the job must not run before it exists. */
  public readonly credential: pulumi.Resource;

  constructor(name: string, args: AppCredentialArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("auditfeed:index:AppCredential", name, {}, opts);
    const mode = { option: "credential", value: args.mode } as const;
    switch (args.mode) {
      case "federated": {
        const issuer = pulumi
          .output(args.identity.tenantId)
          .apply((identityTenant) => managedIdentityIssuer(args.cloud, assertSameTenant(identityTenant, args.tenantId)));
        this.credential = new azuread.ApplicationFederatedIdentityCredential(
          `${name}-federated`,
          {
            applicationId: args.applicationResourceId,
            displayName: "auditfeed-collector-managed-identity",
            description: "The auditfeed collector's user-assigned managed identity signs in as this app.",
            issuer,
            subject: args.identity.principalId,
            audiences: [args.cloud.tokenExchangeAudience],
          },
          { parent: this },
        );
        this.expiresAt = undefined;
        this.wiring = { settings: [mode], secrets: [], files: [] };
        break;
      }
      case "certificate": {
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "RSA", rsaBits: 3072 }, { parent: this, replacementTrigger: args.rotation.label });
        const certificate = new tls.SelfSignedCert(
          `${name}-certificate`,
          {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: args.certificateSubject, organization: "auditfeed" },
            validityPeriodHours: args.rotation.certificateValidityHours,
            allowedUses: ["digital_signature"],
          },
          { parent: this },
        );
        this.credential = new azuread.ApplicationCertificate(
          `${name}-app-certificate`,
          {
            applicationId: args.applicationResourceId,
            type: "AsymmetricX509Cert",
            encoding: "pem",
            value: certificate.certPem,
            startDate: certificate.validityStartTime,
            endDate: certificate.validityEndTime,
          },
          { parent: this },
        );
        const stored = this.storeInVault(name, args, CLIENT_CERTIFICATE_NAME, {
          value: pulumi.secret(pulumi.interpolate`${key.privateKeyPemPkcs8}${certificate.certPem}`),
          contentType: "application/x-pem-file",
        });
        this.expiresAt = certificate.validityEndTime;
        this.wiring = {
          settings: [mode, { option: "certificatePath", value: `${SECRET_MOUNT_PATH}/${CERTIFICATE_FILE}` }],
          secrets: [{ name: CLIENT_CERTIFICATE_NAME, keyVaultUrl: stored.properties.secretUri }],
          files: [{ secretRef: CLIENT_CERTIFICATE_NAME, fileName: CERTIFICATE_FILE }],
        };
        break;
      }
      case "secret": {
        // Every input of an ApplicationPassword forces a replacement, so the end date computed from the rotation
        // period is also the rotation trigger: stable within a period, new in the next.
        const password = new azuread.ApplicationPassword(
          `${name}-password`,
          {
            applicationId: args.applicationResourceId,
            displayName: `auditfeed collector, from ${args.rotation.label}`,
            endDate: args.rotation.credentialEndDate,
          },
          { parent: this },
        );
        const stored = this.storeInVault(name, args, CLIENT_SECRET_NAME, { value: pulumi.secret(password.value), contentType: "text/plain" });
        this.credential = password;
        this.expiresAt = pulumi.output(args.rotation.credentialEndDate);
        this.wiring = {
          settings: [mode, { option: "clientSecret", secretRef: CLIENT_SECRET_NAME }],
          secrets: [{ name: CLIENT_SECRET_NAME, keyVaultUrl: stored.properties.secretUri }],
          files: [],
        };
        break;
      }
    }
    this.registerOutputs({ expiresAt: this.expiresAt });
  }

  private storeInVault(
    name: string,
    args: AppCredentialArgs,
    secretName: string,
    content: { value: pulumi.Output<string>; contentType: string },
  ): keyvault.Secret {
    return vaultSecret(
      `${name}-${secretName}`,
      { vault: args.vault, secretName, ...content, expiresEpochSeconds: args.rotation.credentialEndEpochSeconds },
      { parent: this },
    );
  }
}
