import * as pulumi from "@pulumi/pulumi";

/** The stack's own settings as Pulumi stores them (strings; lists as JSON), without the secret `sinkSecret` value. */
export function readProjectConfig(): Record<string, string> {
  const prefix = `${pulumi.getProject()}:`;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    // Presence is all validation needs; the value is read as a secret where it is used.
    values[name] = name === "sinkSecret" ? "(secret)" : value;
  }
  return values;
}
