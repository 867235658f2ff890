import { join } from "node:path";
import { DEMO_APP, DEMO_TENANT, type Emulator } from "../../emulator/src/index.ts";

/**
 * The `AUDITFEED_*` environment that points the collector at an emulator's demo tenant, with the file sink and the
 * state under `directory`: what `auditfeed demo` uses, and what a user sets to try the collector on the emulator.
 */
export function emulatorEnvironment(emulator: Pick<Emulator, "managementUrl" | "authorityUrl" | "caFile">, directory: string): Record<string, string> {
  return {
    AUDITFEED_TENANT_ID: DEMO_TENANT,
    AUDITFEED_CLIENT_ID: DEMO_APP.clientId,
    AUDITFEED_CLIENT_SECRET: DEMO_APP.secret,
    AUDITFEED_MANAGEMENT_URL: emulator.managementUrl,
    AUDITFEED_AUTHORITY_URL: emulator.authorityUrl,
    AUDITFEED_CA_FILE: emulator.caFile,
    AUDITFEED_SINK: "file",
    AUDITFEED_SINK_DIR: join(directory, "events"),
    AUDITFEED_STATE: join(directory, "state.sqlite"),
  };
}
