import { FILE_SINK_OPTIONS } from "./file/options.ts";

/** Every sink's settings, as each sink's folder declares them; config/options.ts puts them in the one options table. */
export const SINK_OPTIONS = [...FILE_SINK_OPTIONS] as const;
