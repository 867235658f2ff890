import * as keyvault from "@pulumi/azure-native/keyvault/index.js";
import type * as pulumi from "@pulumi/pulumi";

/** The stack's Key Vault, which the collector's identity may read (Key Vault Secrets User). */
export interface StackVault {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly vaultName: pulumi.Input<string>;
}

/**
 * One secret in the stack's Key Vault, named the same in the vault and in the job (so a reader of either finds the
 * other). The job reads it through a versionless reference, so each execution gets the current version.
 */
export function vaultSecret(
  resourceName: string,
  args: {
    readonly vault: StackVault;
    readonly secretName: string;
    /** Always a Pulumi secret: it stays encrypted in the stack's state. */
    readonly value: pulumi.Output<string>;
    readonly contentType: string;
    /** When Key Vault stops serving it (Unix seconds); undefined: never. */
    readonly expiresEpochSeconds?: pulumi.Input<number>;
  },
  opts: pulumi.CustomResourceOptions,
): keyvault.Secret {
  return new keyvault.Secret(
    resourceName,
    {
      resourceGroupName: args.vault.resourceGroupName,
      vaultName: args.vault.vaultName,
      secretName: args.secretName,
      properties: {
        value: args.value,
        contentType: args.contentType,
        attributes: { enabled: true, ...(args.expiresEpochSeconds === undefined ? {} : { expires: args.expiresEpochSeconds }) },
      },
    },
    opts,
  );
}
