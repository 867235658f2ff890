import { COLLECTOR_COMMANDS } from "./collector-commands.ts";
import { dispatch } from "./command.ts";

// The container image's entry (bundled by cli/build-job.ts): only the collector's commands, so the bundle holds no
// emulator, no node-forge and no Pulumi code. The image's Node is 24, so it needs no version check.
process.exitCode = await dispatch(COLLECTOR_COMMANDS, process.argv.slice(2));
