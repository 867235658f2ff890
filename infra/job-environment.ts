import type * as pulumi from "@pulumi/pulumi";
import { OPTIONS, type OptionSpec } from "../collector/src/config/options.ts";
import type { JobSetting } from "./job-wiring.ts";

/** One environment variable of the collector container, as the Container Apps Job declares it. */
export type JobEnvVar = { readonly name: string; readonly value: pulumi.Input<string> } | { readonly name: string; readonly secretRef: string };

/**
 * The collector container's environment for `settings`, generated from the collector's own options table: each
 * setting's variable is the one `loadConfig` reads for that option, so the stack and the collector cannot disagree on
 * a name. Refuses an option set twice, and a secret option (one the table keeps off the command line) given as a plain
 * value instead of a Key Vault reference.
 */
export function jobEnvironment(settings: readonly JobSetting[]): JobEnvVar[] {
  const seen = new Set<string>();
  return settings.map((setting) => {
    const spec = optionSpec(setting.option);
    if (seen.has(spec.key)) throw new Error(`The collector job sets the option ${spec.key} twice.`);
    seen.add(spec.key);
    if ("secretRef" in setting) return { name: spec.env, secretRef: setting.secretRef };
    if (spec.flag === null) throw new Error(`The collector option ${spec.key} is a secret: pass it to the job as a Key Vault reference, not a value.`);
    return { name: spec.env, value: setting.value };
  });
}

function optionSpec(key: string): OptionSpec {
  const spec = (OPTIONS as readonly OptionSpec[]).find((option) => option.key === key);
  if (spec === undefined) throw new Error(`The collector has no option ${key}.`);
  return spec;
}
