import { setTimeout as sleep } from "node:timers/promises";
import type * as authorization from "@pulumi/azure-native/authorization/index.js";
import * as pulumi from "@pulumi/pulumi";

/**
 * How long after its creation a role assignment is trusted to be in effect. Azure applies new assignments within
 * minutes (Microsoft documents up to 10); Container Apps checks a job's Key Vault references with its identity when the
 * job is created, and fails the create if the identity cannot read them yet.
 */
export const ROLE_PROPAGATION_MS = 5 * 60_000;

/** How much longer to wait for an assignment created at `createdOn` (ISO 8601) to apply; 0 once it is old enough or unknown. */
export function propagationWaitMs(createdOn: string | undefined, nowMs: number): number {
  const created = createdOn === undefined ? Number.NaN : Date.parse(createdOn);
  if (!Number.isFinite(created)) return 0;
  return Math.max(0, Math.min(ROLE_PROPAGATION_MS, created + ROLE_PROPAGATION_MS - nowMs));
}

/**
 * `value`, resolved only once every assignment is old enough to be in effect. On the first `pulumi up` (the
 * assignments were just created) this holds back what depends on `value` for the rest of ROLE_PROPAGATION_MS; on later
 * runs the assignments are older and nothing waits. Previews never wait (the times are unknown there).
 */
export function afterRolesApply(value: pulumi.Output<string>, assignments: readonly authorization.RoleAssignment[]): pulumi.Output<string> {
  const created: pulumi.Output<Array<string | undefined>> = pulumi.all(assignments.map((assignment) => assignment.createdOn));
  return pulumi.all([value, created]).apply(async ([resolved, createdOn]) => {
    const waitMs = Math.max(0, ...createdOn.map((time) => propagationWaitMs(time, Date.now())));
    if (waitMs > 0) {
      await pulumi.log.info(`Waiting ${Math.ceil(waitMs / 1_000)} s for new role assignments to apply before the job that needs them is created.`);
      await sleep(waitMs);
    }
    return resolved;
  });
}
