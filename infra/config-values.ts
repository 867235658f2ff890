import { CLOUD_NAMES, CLOUDS, isCloudName } from "../collector/src/config/clouds.ts";
import type { Cloud } from "../collector/src/config/clouds.ts";
import { AuditfeedError } from "../collector/src/errors.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function configError(message: string): AuditfeedError {
  return new AuditfeedError("AF_ERR_INFRA_CONFIG", message);
}

/**
 * A project's settings as Pulumi stores them (strings; lists as JSON), read with the checks every project shares.
 * Messages name the key as the user sets it (`<project>:<key>`) and say how to fix it.
 */
export class ConfigValues<Key extends string> {
  readonly #namespace: string;
  readonly #values: Readonly<Record<string, string>>;

  /** Refuses any key outside `keys`: in a project's own namespace an unknown key is a typo. */
  constructor(namespace: string, keys: readonly Key[], values: Readonly<Record<string, string>>) {
    for (const key of Object.keys(values)) {
      if (!(keys as readonly string[]).includes(key)) {
        throw configError(`${namespace}:${key} is not a setting of this stack; remove it (known keys: ${keys.join(", ")}).`);
      }
    }
    this.#namespace = namespace;
    this.#values = values;
  }

  /** `<project>:<key>`, as messages show it. */
  name(key: Key): string {
    return `${this.#namespace}:${key}`;
  }

  optional(key: Key): string | undefined {
    return this.#values[key];
  }

  required(key: Key, what: string): string {
    const value = this.#values[key];
    if (value === undefined || value === "") {
      throw configError(`${this.name(key)} is required: set it to ${what} with \`pulumi config set ${key} <value>\`.`);
    }
    return value;
  }

  guid(key: Key, value: string): string {
    if (!GUID.test(value)) {
      throw configError(`${this.name(key)} must be a GUID such as 00000000-0000-0000-0000-000000000000; got "${value}".`);
    }
    return value.toLowerCase();
  }

  boolean(key: Key, fallback: boolean): boolean {
    const value = this.#values[key];
    if (value === undefined) return fallback;
    if (value === "true") return true;
    if (value === "false") return false;
    throw configError(`${this.name(key)} must be true or false; got "${value}".`);
  }

  integer(key: Key, fallback: number, min: number, max: number): number {
    const value = this.#values[key];
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw configError(`${this.name(key)} must be a whole number from ${min} to ${max}; got "${value}".`);
    }
    return parsed;
  }

  cloud(key: Key): Cloud {
    const name = this.#values[key] ?? "commercial";
    if (!isCloudName(name)) throw configError(`${this.name(key)} must be one of ${CLOUD_NAMES.join(", ")}; got "${name}".`);
    return CLOUDS[name];
  }
}

/** Default Azure region of a cloud's runtime. */
export function defaultLocation(cloud: Cloud): string {
  return cloud.azureEnvironment === "usgovernment" ? "usgovvirginia" : "eastus";
}
