/** Placeholder until the emulator lands: `auditfeed emulate`. */
export function emulateCommand(_args: string[]): Promise<number> {
  process.stderr.write("auditfeed emulate: the emulator is not built yet.\n");
  return Promise.resolve(1);
}
