import type { ArkLocal } from '../../emulator';

export interface ArkInventory {
  /** `<id> <Status>` of every endpoint, sorted. */
  endpoints: string[];
  /** Custom model ids, sorted. */
  customModels: string[];
  /** Objects in all TOS buckets. */
  objects: number;
}

/** What ark-local holds, in the form e2e tests compare: what a run created, adopted or left behind. */
export async function inventory(ark: ArkLocal): Promise<ArkInventory> {
  const state = await ark.admin.state();
  return {
    endpoints: state.endpoints.map((e) => `${e.Id} ${e.Status}`).sort(),
    customModels: state.customModels.map((m) => m.Id).sort(),
    objects: state.tos.buckets.reduce((n, b) => n + b.objects, 0),
  };
}
