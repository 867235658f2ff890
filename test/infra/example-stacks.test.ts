import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../collector/src/config/config.ts";
import { OPTIONS } from "../../collector/src/config/options.ts";
import { createClientCertificate } from "../../emulator/src/tls.ts";
import { parseStackConfig } from "../../infra/config.ts";
import { JOB_SINKS } from "../../infra/sinks/index.ts";
import { STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID } from "../../infra/well-known-ids.ts";
import { jobOfCustomer, vaultContents } from "./fixtures/job-container.ts";
import { containerEnvironment, deployTenantStack } from "./stack-job.ts";
import { installMocks } from "./mocks.ts";

// Issue 9, item 6: one example stack per sink, each proven accepted by the collector's own configuration check: the
// mocked stack is built from the example file, and the collector's loadConfig runs on exactly the Job's environment.

const ROOT = join(import.meta.dirname, "../..");
const EXAMPLES = [
  join(ROOT, "Pulumi.contoso.yaml"),
  ...readdirSync(join(ROOT, "infra/examples"))
    .filter((name) => /^Pulumi\..+\.yaml$/.test(name))
    .map((name) => join(ROOT, "infra/examples", name)),
];

const CERTIFICATE = createClientCertificate("auditfeed-example-stacks-test");
const PEM = `${CERTIFICATE.certPem}${CERTIFICATE.keyPem}`;

/** A stack file's settings as Pulumi hands them to the program: strings (lists as JSON), secrets decrypted. */
function stackSettings(file: string): { config: Record<string, string>; secretKeys: Set<string> } {
  const document = parse(readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  const config: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, value] of Object.entries(document.config)) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      secretKeys.add(key);
      // Example ciphertexts cannot be decrypted: a stand-in of the right shape takes the value's place.
      config[key] = key.endsWith("Certificate") ? PEM : `stand-in-${key}`;
    } else {
      config[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { config, secretKeys };
}

function own(settings: Record<string, string>, namespace: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([key]) => key.startsWith(`${namespace}:`))
      .map(([key, value]) => [key.slice(namespace.length + 1), value]),
  );
}

const registered = installMocks({ azureTenantId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d" });
const root = mkdtempSync(join(tmpdir(), "auditfeed-examples-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("the example stacks", () => {
  it("should cover every sink a job can use", () => {
    const sinks = new Set(EXAMPLES.map((file) => stackSettings(file).config["auditfeed:sink"] ?? "stdout"));
    expect([...sinks].sort()).toEqual([...JOB_SINKS].sort());
  });

  it.each(EXAMPLES.map((file) => ({ file: file.slice(ROOT.length + 1), path: file })))("$file should give a job the collector accepts", async ({ path }) => {
    const { config: settings, secretKeys } = stackSettings(path);
    const values = own(settings, "auditfeed");
    const config = parseStackConfig(values, {
      azureNativeTenantId: settings["azure-native:tenantId"],
      secretKeys: new Set([...secretKeys].map((key) => key.slice("auditfeed:".length))),
    });
    await deployTenantStack(config, "example");
    const job = jobOfCustomer(registered, config.customer);
    const vault = vaultContents(registered, `${config.customer}-`);
    // Every value the stack put in Key Vault stays a Pulumi secret.
    for (const [name, stored] of vault) expect(stored.secret, name).toBe(true);

    const folder = mkdtempSync(join(root, `${config.customer}-`));
    const env = containerEnvironment(job, folder, (name) => {
      // The mocked tls provider's certificate is not a real PEM; the collector checks the credential's file.
      if (name === "client-certificate") return PEM;
      const stored = vault.get(name);
      if (stored === undefined) throw new Error(`the job references ${name}, which is not in Key Vault`);
      return stored.value;
    });
    const known = new Set(OPTIONS.map((option) => option.env));
    for (const name of Object.keys(env)) expect(known, name).toContain(name);

    const collector = loadConfig({ argv: [], env, cwd: folder });
    expect(collector.sink.kind).toBe(config.sink.kind);
    // What must outlive the job's disk is in containers of the stack's storage account, which only the job's identity
    // may write (a role on each container, not on the account).
    const containers = new Map<string, string>();
    if (collector.sink.kind === "http" || collector.sink.kind === "syslog" || collector.sink.kind === "sentinel") {
      expect(collector.sink.remote.deadLetter).toMatchObject({ kind: "azblob", folder: { container: "auditfeed-dead-letter" } });
      containers.set("auditfeed-dead-letter", "dead-letter");
    }
    if (collector.sink.kind === "azblob") {
      expect(collector.sink.folder).toMatchObject({ container: "auditfeed-archive", prefix: "", accountUrl: expect.stringMatching(/^https:\/\//) as unknown });
      containers.set("auditfeed-archive", "archive");
    }
    for (const [container, purpose] of containers) {
      const created = registered.find(
        (r) =>
          r.type === "azure-native:storage:BlobContainer" &&
          (r.inputs as { containerName?: string }).containerName === container &&
          r.name.startsWith(`${config.customer}-`),
      );
      expect(created, container).toBeDefined();
      const role = registered.find(
        (r) => r.type === "azure-native:authorization:RoleAssignment" && r.name === `${config.customer}-collector-${purpose}-blob-contributor`,
      );
      expect((role?.inputs as { scope?: string }).scope).toBe(`${created?.name ?? ""}-id`);
      expect(String((role?.inputs as { roleDefinitionId?: string }).roleDefinitionId)).toContain(STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID);
    }
    // Each sink setting reaches the collector: plain values as the variable's value, secrets only by reference.
    for (const setting of config.sink.settings) {
      const spec = OPTIONS.find((option) => option.key === setting.option);
      const variable = job.template.containers[0]?.env.find((item) => item.name === spec?.env);
      if (setting.form === "value") expect(variable?.value, setting.option).toBe(setting.value);
      else if (setting.form === "secret") expect(variable, setting.option).toEqual({ name: spec?.env, secretRef: expect.any(String) as unknown });
      else expect(readFileSync(env[spec?.env ?? ""] ?? "", "utf8"), setting.option).toBe(setting.value);
    }
  });
});
