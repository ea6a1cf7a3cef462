import type { CreateEndpointRequest } from '../../api/ark';
import type { ArkClient } from '../../clients/ark/client';
import { hasCode } from '../../clients/ark/errors';
import type { ProgressLog } from '../controller';
import type { Inputs, Outputs, Replacement } from './schema';

/**
 * Which model unit an endpoint goes on. Ark's model units are instance groups ordered in the console, each bound to
 * one endpoint (ark-api-2026.md F2), so a replacement on one unit must delete the old endpoint first. With a
 * standby unit, a replacement alternates between the two units: the new endpoint is Running on the unit the old
 * one does not use before the old one is deleted.
 */

/** The error ark-local (and, we infer, Ark) answers for a unit with no room left [I]. */
export const UNIT_FULL_CODE = 'OperationDenied.ModelUnitInsufficient';
/** The error for a unit that does not exist (never ordered, reclaimed, unsubscribed) [I]. */
export const UNIT_NOT_FOUND_CODE = 'NotFound.ModelUnit';

/** The units an endpoint of these inputs may run on, the primary first. */
export function unitsOf(inputs: Pick<Inputs, 'modelUnitId' | 'standbyModelUnitId'>): string[] {
  const standby = inputs.standbyModelUnitId;
  return standby && standby !== inputs.modelUnitId ? [inputs.modelUnitId, standby] : [inputs.modelUnitId];
}

/** The order of a replacement: the input's, else create first only when a standby unit leaves room for it. */
export function replacementOrder(inputs: Pick<Inputs, 'replacement' | 'standbyModelUnitId'>): Replacement {
  return inputs.replacement ?? (inputs.standbyModelUnitId ? 'create-before-delete' : 'delete-before-create');
}

/** The unit the endpoint of a stored state runs on (states written before `servingModelUnitId` name only one). */
export function servingUnit(outs: Pick<Outputs, 'servingModelUnitId' | 'modelUnitId'>): string {
  return outs.servingModelUnitId ?? outs.modelUnitId;
}

/** True when the endpoint's unit is no longer one the inputs allow: only a new endpoint can move it. */
export function leftItsUnits(olds: Pick<Outputs, 'servingModelUnitId' | 'modelUnitId'>, news: Pick<Inputs, 'modelUnitId' | 'standbyModelUnitId'>): boolean {
  return !unitsOf(news).includes(servingUnit(olds));
}

/**
 * Why preview's replacement deserves a warning, or undefined: a delete-first replacement leaves the endpoint's
 * clients without an answer until the new one runs, and a create-first one on a single unit needs room Ark's
 * units do not have.
 */
export function replacementWarning(id: string, news: Inputs): string | undefined {
  const order = replacementOrder(news);
  if (order === 'delete-before-create') {
    return (
      `endpoint ${id} will be replaced by deleting it first: it is down from its delete until the new endpoint is Running on ` +
      `model unit ${news.modelUnitId} (a model unit hosts one endpoint). For a replacement without downtime set standbyModelUnitId ` +
      'to a second unit ordered in the Ark console.'
    );
  }
  if (!news.standbyModelUnitId) {
    return (
      `endpoint ${id} will be replaced with replacement: create-before-delete on the single model unit ${news.modelUnitId}: ` +
      'this needs a unit with room for two endpoints, and Ark\'s units host one, so the create will fail unless yours has room. ' +
      'Set standbyModelUnitId to a second unit, or drop replacement to delete first.'
    );
  }
  return undefined;
}

/** Candidate units in the order a new endpoint tries them: those not hosting one of `busy` (the one it replaces) first. */
export function placementOrder(units: readonly string[], busy: ReadonlySet<string>): string[] {
  return [...units.filter((unit) => !busy.has(unit)), ...units.filter((unit) => busy.has(unit))];
}

export class ModelUnitGoneError extends Error {
  constructor(
    readonly modelUnitId: string,
    what: string,
  ) {
    super(
      `model unit ${modelUnitId} does not exist in Ark (${what}; units are reclaimed when unsubscribed, 24 h after a ` +
        'post-paid unit is overdue, or after a period without traffic). Order a model unit in the Ark console, set ' +
        'modelUnitId to its id and run `pulumi up` again.',
    );
    this.name = 'ModelUnitGoneError';
  }
}

/**
 * Creates the endpoint on the first unit in `order` that has room: a unit answering "no room" (the old endpoint
 * still on it, or one made in the console) passes the create to the next. No unit with room, or a unit that is
 * gone, fails with what to do: the create is never retried in a loop.
 */
export async function createOnFreeUnit(
  order: readonly string[],
  create: (modelUnitId: string) => Promise<string>,
  inputs: Inputs,
  log: ProgressLog,
): Promise<{ id: string; modelUnitId: string }> {
  const full: string[] = [];
  for (const unit of order) {
    try {
      return { id: await create(unit), modelUnitId: unit };
    } catch (error) {
      if (hasCode(error, UNIT_NOT_FOUND_CODE)) throw new ModelUnitGoneError(unit, `CreateEndpoint answered ${UNIT_NOT_FOUND_CODE}`);
      if (!hasCode(error, UNIT_FULL_CODE)) throw error;
      full.push(`${unit}: ${(error as Error).message}`);
      const next = order[order.indexOf(unit) + 1];
      if (next) log.info(`endpoint "${inputs.name}": model unit ${unit} has no room for another endpoint; creating it on ${next}`);
    }
  }
  throw new Error(
    `endpoint "${inputs.name}" has no model unit with room: ${full.join('; ')}. A model unit hosts one endpoint. ` +
      (replacementOrder(inputs) === 'create-before-delete' && !inputs.standbyModelUnitId
        ? 'replacement: create-before-delete needs a second unit: set standbyModelUnitId to one, or drop replacement to delete the old endpoint first. '
        : '') +
      'If an endpoint made in the console holds the unit, bring it under Pulumi (`pulumi import`, or adoptExistingId) instead of creating one.',
  );
}

/**
 * Whether `unit` is gone, asked through a CreateEndpoint dry run (nothing is created: the service only checks the
 * request). The answers that tell: `NotFound.ModelUnit` (gone); anything else (DryRunOperation, no room, another
 * refusal) means the unit is there. [I] docs/api-assumptions.md "Reclaimed model units".
 */
export async function unitIsGone(client: ArkClient, unit: string, request: Omit<CreateEndpointRequest, 'ModelUnitId' | 'DryRun'>): Promise<boolean> {
  try {
    await client.call('CreateEndpoint', { ...request, ModelUnitId: unit, DryRun: true });
    return false;
  } catch (error) {
    return hasCode(error, UNIT_NOT_FOUND_CODE);
  }
}
