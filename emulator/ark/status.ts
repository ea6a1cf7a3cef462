import { ArkApiError } from './errors';
import { rfc3339 } from './store';

/** The status fields every emulated Ark resource carries (endpoints, custom models, rollouts). */
export interface StatusFields<S extends string> {
  Id: string;
  Status: S;
  StatusReason?: string;
  UpdateTime: string;
}

/** Puts a resource into `status` at `now`: the reason is set or cleared with it and UpdateTime stamped. */
export function stampStatus<S extends string>(resource: StatusFields<S>, status: S, now: number, reason?: string): void {
  resource.Status = status;
  if (reason) resource.StatusReason = reason;
  else delete resource.StatusReason;
  resource.UpdateTime = rfc3339(now);
}

/**
 * Refuses an operation the resource's status does not allow, with Ark's `OperationDenied.<Kind>Status` code
 * (e.g. `EndpointStatus`; docs/api-assumptions.md) and a message naming what the status would have to be.
 */
export function assertStatusIn<S extends string>(
  resource: StatusFields<S>,
  allowed: readonly S[],
  operation: string,
  kind: { code: string; noun: string },
): void {
  if (!allowed.includes(resource.Status)) {
    throw new ArkApiError(
      `OperationDenied.${kind.code}`,
      `The ${kind.noun} "${resource.Id}" is ${resource.Status}; ${operation} needs one of ${allowed.join(', ')}.`,
    );
  }
}
