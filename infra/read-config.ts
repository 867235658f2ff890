import * as pulumi from "@pulumi/pulumi";

/** The stack's own settings as Pulumi stores them (strings; lists as JSON). */
export function readProjectConfig(): Record<string, string> {
  const prefix = `${pulumi.getProject()}:`;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!key.startsWith(prefix)) continue;
    values[key.slice(prefix.length)] = value;
  }
  return values;
}
