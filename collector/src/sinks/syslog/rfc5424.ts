import type { OutboundRecord } from "../sink.ts";

/** Facility 13 (log audit), severity 6 (informational). */
const PRI = 13 * 8 + 6;
/**
 * The SD-ID of auditfeed's structured data. 32473 is the private enterprise number RFC 5612 reserves for
 * documentation; auditfeed has none of its own, and the name part keeps the ID distinct.
 */
export const SD_ID = "auditfeed@32473";

/** RFC 5424 §6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with a backslash. */
function paramValue(value: string): string {
  return value.replace(/["\\\]]/g, (character) => `\\${character}`);
}

/** RFC 5424 HOSTNAME and APP-NAME: printable US-ASCII without spaces, at most 255 and 48 characters. */
export function headerField(value: string, maxLength: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, "");
  return printable === "" ? "-" : printable.slice(0, maxLength);
}

/**
 * One record as an RFC 5424 message: TIMESTAMP is the record's CreationTime ("-" when it has none), MSGID its content
 * type, the structured data carries content type and Id, and MSG is the record's JSON (UTF-8).
 */
export function syslogMessage(record: OutboundRecord, hostname: string): string {
  const structured = `[${SD_ID} contentType="${paramValue(record.contentType)}" id="${paramValue(record.id)}"]`;
  return `<${PRI}>1 ${record.creationTime ?? "-"} ${hostname} auditfeed - ${record.contentType} ${structured} ${record.json}`;
}

/** RFC 6587 §3.4.1 octet counting: the message length in bytes, a space, the message. */
export function octetCounted(message: string): string {
  return `${Buffer.byteLength(message)} ${message}`;
}
