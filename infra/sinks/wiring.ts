import * as pulumi from "@pulumi/pulumi";
import type { JobSetting, JobWiring } from "../job-wiring.ts";
import { vaultSecret, type StackVault } from "../vault-secret.ts";
import { sinkFilePath, sinkSecretName, type JobSinkConfig } from "./config.ts";

/**
 * The job's side of the sink settings its owner gave the stack: plain values as they are; secrets and files into the
 * stack's Key Vault, read by the job as secret references and as files of its secret volume (as the app's client
 * secret and certificate are), so no secret is ever a plain value of the job.
 */
export function sinkWiring(name: string, sink: JobSinkConfig, vault: StackVault, parent: pulumi.Resource): JobWiring {
  const settings: JobSetting[] = [{ option: "sink", value: sink.kind }];
  const secrets: { name: string; keyVaultUrl: pulumi.Output<string> }[] = [];
  const files: { secretRef: string; fileName: string }[] = [];
  for (const setting of sink.settings) {
    if (setting.form === "value") {
      settings.push({ option: setting.option, value: setting.value });
      continue;
    }
    const secretName = sinkSecretName(setting.option);
    const stored = vaultSecret(
      `${name}-${secretName}`,
      {
        vault,
        secretName,
        value: pulumi.secret(setting.value),
        contentType: setting.form === "file" ? "application/x-pem-file" : "text/plain",
      },
      { parent },
    );
    secrets.push({ name: secretName, keyVaultUrl: stored.properties.secretUri });
    if (setting.form === "secret") {
      settings.push({ option: setting.option, secretRef: secretName });
    } else {
      const path = sinkFilePath(setting.option);
      settings.push({ option: setting.option, value: path });
      files.push({ secretRef: secretName, fileName: path.slice(path.lastIndexOf("/") + 1) });
    }
  }
  return { settings, secrets, files };
}
