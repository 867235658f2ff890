/**
 * The release, as `auditfeed --version` prints it. A constant rather than an import of package.json, which would carry
 * the whole manifest (dev dependencies included) into the image's bundle; test/e2e/cli.test.ts keeps the two equal.
 */
export const VERSION = "0.1.0";
