import { AZBLOB_SINK_OPTIONS } from "./azblob/options.ts";
import { FILE_SINK_OPTIONS } from "./file/options.ts";
import { HTTP_SINK_OPTIONS } from "./http/options.ts";
import { REMOTE_SINK_OPTIONS } from "./remote/options.ts";
import { SENTINEL_SINK_OPTIONS } from "./sentinel/options.ts";
import { SYSLOG_SINK_OPTIONS } from "./syslog/options.ts";

/** Every sink's settings, as each sink's folder declares them; config/options.ts puts them in the one options table. */
export const SINK_OPTIONS = [
  ...FILE_SINK_OPTIONS,
  ...REMOTE_SINK_OPTIONS,
  ...HTTP_SINK_OPTIONS,
  ...SYSLOG_SINK_OPTIONS,
  ...SENTINEL_SINK_OPTIONS,
  ...AZBLOB_SINK_OPTIONS,
] as const;
