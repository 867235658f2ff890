import * as pulumi from "@pulumi/pulumi";

// The SDK exports isConfigSecret without typings (@internal), and has no public way to ask whether a key is a secret:
// it reads the secret keys the language host hands the program beside the configuration.
const { isConfigSecret } = pulumi.runtime as unknown as { isConfigSecret: (key: string) => boolean };

/**
 * The stack's own settings as Pulumi stores them (strings, secrets decrypted; lists as JSON), and which of them Pulumi
 * keeps encrypted (`pulumi config set --secret`): a secret sink option is refused unless it is one of those.
 */
export function readProjectConfig(): { values: Record<string, string>; secretKeys: Set<string> } {
  const prefix = `${pulumi.getProject()}:`;
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    values[key.slice(prefix.length)] = value;
    if (isConfigSecret(key)) secretKeys.add(key.slice(prefix.length));
  }
  return { values, secretKeys };
}
