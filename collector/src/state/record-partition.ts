/**
 * The hour (`YYYY-MM-DDTHH`) a record's index partition is named by: the start of its `CreationTime` as the API wrote
 * it, or null when it has none or it does not start like ISO 8601 (four digits, `-`, two, `-`, two, `T`, two). A
 * duplicate of a record has the same `CreationTime`, so both stores look a record up only in the partition of this hour.
 * Read with charCodeAt rather than a regular expression: both stores call it twice per record (lookup and commit).
 */
export function creationHour(creationTime: string | null): string | null {
  if (creationTime === null || creationTime.length < 13) return null;
  for (let at = 0; at < 13; at++) {
    const code = creationTime.charCodeAt(at);
    const expected = at === 4 || at === 7 ? 0x2d : at === 10 ? 0x54 : -1;
    if (expected === -1 ? code < 0x30 || code > 0x39 : code !== expected) return null;
  }
  return creationTime.slice(0, 13);
}
