#!/usr/bin/env node
// A plain-JavaScript entry so that an old Node gets a clear message instead of a syntax error:
// the rest of auditfeed is TypeScript that Node 24 runs directly by stripping types.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `auditfeed needs Node.js 24 or later; this is ${process.version}.\n` +
      "Run it through npm (npm start, npx auditfeed ...) so the Node 24 that `npm install` brought is used.\n",
  );
  process.exit(2);
}
const { main } = await import("../cli/src/main.ts");
process.exitCode = await main(process.argv.slice(2));
