import type { ContentType } from "../../../collector/src/source/content.ts";

export type Operation = "start" | "stop" | "list-subscriptions" | "list-content" | "fetch";

export type ScriptedReply =
  | "AF50000"
  | "AF429-403"
  | "AF429-429"
  | "AF20051"
  /** Never answers: the request hangs until the client gives up or the emulator closes. */
  | "timeout"
  /** Destroys the connection without a response. */
  | "reset"
  | { status: number; body: unknown; headers?: Record<string, string> };

/** A one-shot scripted response: the next `times` (default 1) matching requests get `reply`. */
export interface ScriptedFault {
  op: Operation | "any";
  contentType?: ContentType;
  /** Only a fetch of this blob: the same blob fails in every run, whatever order the collector fetches in. */
  contentId?: string;
  times?: number;
  reply: ScriptedReply;
}

/** Scripted faults, matched in the order they were added; each is used up after `times` matches. */
export class FaultScript {
  readonly #rules: Array<{ rule: ScriptedFault; remaining: number }> = [];

  add(rule: ScriptedFault): void {
    const times = rule.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`script: \`times\` must be a positive integer; got ${times}.`);
    this.#rules.push({ rule, remaining: times });
  }

  /** The reply for a request, consuming one use of the first matching rule. */
  take(op: Operation, contentType: ContentType | undefined, contentId?: string): ScriptedReply | undefined {
    const position = this.#rules.findIndex(
      ({ rule }) =>
        (rule.op === "any" || rule.op === op) &&
        (rule.contentType === undefined || rule.contentType === contentType) &&
        (rule.contentId === undefined || rule.contentId === contentId),
    );
    const entry = this.#rules[position];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#rules.splice(position, 1);
    return entry.rule.reply;
  }
}
