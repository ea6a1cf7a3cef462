import { modelUnitView, type ModelUnitRecord, type ModelUnitView } from '../state/control-plane';
import { ArkApiError, notFound } from './errors';
import { rfc3339, type ControlPlaneStore } from './store';

/**
 * Model units: Ark has no public API for them (they are bought in the console), so only the admin routes create,
 * list and reclaim them; endpoints take a slot on one. A unit hosts one endpoint unless created with more
 * (`store.compat.unitSlots`, or `Slots` in the admin body).
 */
export class ModelUnits {
  constructor(private readonly store: ControlPlaneStore) {}

  create(input: { Name?: string; Slots?: number; FailWith?: string; SupportRolling?: boolean }): ModelUnitView {
    const now = this.store.now();
    const id = this.store.newId('mu', now);
    const unit = {
      Id: id,
      Name: input.Name ?? id,
      Slots: input.Slots ?? this.store.compat.unitSlots,
      ...(input.FailWith ? { FailWith: input.FailWith } : {}),
      ...(input.SupportRolling !== undefined ? { SupportRolling: input.SupportRolling } : {}),
      CreateTime: rfc3339(now),
    };
    this.store.state.modelUnits.push(unit);
    this.store.persist();
    return modelUnitView(this.store.state, unit);
  }

  list(): ModelUnitView[] {
    return this.store.state.modelUnits.map((u) => modelUnitView(this.store.state, u));
  }

  find(id: string | undefined): ModelUnitRecord | undefined {
    return this.store.state.modelUnits.find((u) => u.Id === id);
  }

  /** The unit, or `NotFound.ModelUnit` (never ordered, or reclaimed). */
  get(id: string): ModelUnitRecord {
    const unit = this.find(id);
    if (!unit) throw notFound('ModelUnit', id);
    return unit;
  }

  /** Admin: the unit goes away, as a reclaimed or unsubscribed one does (the caller deals with its endpoints). */
  remove(id: string): ModelUnitView {
    const view = modelUnitView(this.store.state, this.get(id));
    this.store.state.modelUnits = this.store.state.modelUnits.filter((u) => u.Id !== id);
    return view;
  }

  assertFreeSlot(modelUnitId: string): void {
    const unit = this.get(modelUnitId);
    const view = modelUnitView(this.store.state, unit);
    if (view.UsedSlots >= unit.Slots) {
      throw new ArkApiError(
        'OperationDenied.ModelUnitInsufficient',
        `The ModelUnit "${modelUnitId}" has ${unit.Slots} slot(s), all used by ${view.EndpointIds.join(', ')}; expected a free slot.`,
      );
    }
  }
}
