import { dirname } from "node:path";
import { AuditfeedError, isAuditfeedError } from "../errors.ts";

const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** The primary SQLite result code of a node:sqlite error, or undefined for any other error. */
export function sqliteCode(error: unknown): number | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== "ERR_SQLITE_ERROR") return undefined;
  const errcode = (error as { errcode?: unknown }).errcode;
  return typeof errcode === "number" ? errcode & 0xff : undefined;
}

export function isLockConflict(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

/**
 * Turns a failure of the state file into an error that names the file and the fix. Only a full disk or an I/O error
 * is retryable: a damaged file, or one the collector may not write, fails the same way on every try, so `run` must
 * stop on it instead of retrying forever (and not blame disk space).
 */
export function stateError(path: string, what: string, error: unknown): unknown {
  if (isAuditfeedError(error)) return error;
  const sqlite = sqliteCode(error);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (sqlite === SQLITE_NOTADB) {
    return new AuditfeedError(
      "AF_ERR_STATE_UNREADABLE",
      `State file ${path} is not an SQLite database (or its first page is damaged). Point the state location at auditfeed's state file, restore it from a backup, or point it at a new path to start over.`,
      { cause: error },
    );
  }
  if (sqlite === SQLITE_CORRUPT) {
    return new AuditfeedError(
      "AF_ERR_STATE_CORRUPT",
      `State file ${path} is damaged (SQLite, while trying to ${what}: ${reason}), so it cannot be trusted and the collector stops. Restore it from a backup taken while no collector ran, together with the sink folder it wrote; or start over by moving the state file and the sink folder's segments away (the look-back is then delivered again).`,
      { cause: error },
    );
  }
  if (sqlite === SQLITE_READONLY || sqlite === SQLITE_CANTOPEN || sqlite === SQLITE_PERM || isAccessDenied(errno)) {
    return new AuditfeedError(
      "AF_ERR_STATE_ACCESS",
      `State file ${path} cannot be opened for writing (${errno ?? reason}, while trying to ${what}). The collector's user needs write access to the file and to its folder ${dirname(path)}, where SQLite keeps a -wal file beside it: fix the permissions or the volume mount, or point --state / AUDITFEED_STATE at a writable path.`,
      { cause: error },
    );
  }
  if (errno === "ENOTDIR" || errno === "EEXIST") {
    return new AuditfeedError(
      "AF_ERR_STATE_ACCESS",
      `The state folder ${dirname(path)} cannot be created (${errno}): part of that path is a file, not a folder. Point --state / AUDITFEED_STATE at a path inside a folder.`,
      { cause: error },
    );
  }
  const cause =
    sqlite === SQLITE_FULL || errno === "ENOSPC" ? "the disk is full" : sqlite === SQLITE_IOERR || errno === "EIO" ? "the disk reported an I/O error" : reason;
  return new AuditfeedError("AF_ERR_STATE_WRITE", `Could not ${what} in ${path}: ${cause}. Free space or fix the disk; the next cycle tries again.`, {
    retryable: true,
    cause: error,
  });
}

function isAccessDenied(errno: string | undefined): boolean {
  return errno === "EACCES" || errno === "EPERM" || errno === "EROFS";
}
