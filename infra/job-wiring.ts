import type * as pulumi from "@pulumi/pulumi";

/** Where the collector container finds files projected from Key Vault secrets. */
export const SECRET_MOUNT_PATH = "/mnt/auditfeed-secrets";

/** One environment variable of the collector container: a plain value, or a reference to a job secret. */
export type JobEnvVar = { readonly name: string; readonly value: pulumi.Input<string> } | { readonly name: string; readonly secretRef: string };

/** A job secret whose value Container Apps reads from Key Vault with the collector's managed identity. */
export interface JobKeyVaultSecret {
  readonly name: string;
  /** Versionless secret URI, so each execution reads the current version after a rotation. */
  readonly keyVaultUrl: pulumi.Input<string>;
}

/** A job secret projected as a file `${SECRET_MOUNT_PATH}/${fileName}`. */
export interface JobSecretFile {
  readonly secretRef: string;
  readonly fileName: string;
}

/** What a component contributes to the collector job: environment, Key Vault secrets, and secret files. */
export interface JobWiring {
  readonly env: readonly JobEnvVar[];
  readonly secrets: readonly JobKeyVaultSecret[];
  readonly files: readonly JobSecretFile[];
}
