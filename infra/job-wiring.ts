import type * as pulumi from "@pulumi/pulumi";
import type { OptionKey } from "../collector/src/config/options.ts";

/** Where the collector container finds files projected from Key Vault secrets. */
export const SECRET_MOUNT_PATH = "/mnt/auditfeed-secrets";

/**
 * One setting of the collector job, named by its key in the collector's options table (collector/src/config/options.ts):
 * a plain value, or a reference to a job secret. The environment variable's name comes from that table
 * (job-environment.ts), so infra never spells one.
 */
export type JobSetting = { readonly option: OptionKey; readonly value: pulumi.Input<string> } | { readonly option: OptionKey; readonly secretRef: string };

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

/** What a component contributes to the collector job: settings, Key Vault secrets, and secret files. */
export interface JobWiring {
  readonly settings: readonly JobSetting[];
  readonly secrets: readonly JobKeyVaultSecret[];
  readonly files: readonly JobSecretFile[];
}
