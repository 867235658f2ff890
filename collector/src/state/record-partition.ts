const HOUR_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2})/;

/**
 * The hour (`YYYY-MM-DDTHH`) a record's index partition is named by: the start of its `CreationTime` as the API wrote
 * it, or null when it has none or it does not start like ISO 8601. A duplicate of a record has the same
 * `CreationTime`, so both stores look a record up only in the partition of this hour.
 */
export function creationHour(creationTime: string | null): string | null {
  return creationTime === null ? null : (HOUR_PREFIX.exec(creationTime)?.[1] ?? null);
}
