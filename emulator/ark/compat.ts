/**
 * Where the public record of Ark is thin, ark-local takes the restrictive reading, so a provider that works on
 * ark-local also works on the service (../shared/reference/ark-api-2026.md; docs/api-assumptions.md "Restrictive
 * defaults"). Each permissive reading is an explicit option of the whole server (this object: `startArkLocal`'s
 * `compat`, the CLI's flags) or, finer, of one model unit (the admin route's body), for an account whose Ark
 * differs.
 */
export interface ArkCompat {
  /**
   * Endpoints a model unit created without `Slots` can host. 1: a unit is an instance group ordered in the
   * console with, and bound to, one endpoint (F2); no source shows two endpoints on one unit.
   */
  unitSlots: number;
  /**
   * Whether custom-model endpoints on a unit created without `SupportRolling` report `SupportRolling: true` and
   * accept the rolling actions. false: version switching "暂不支持精调模型及模型单元" (F16).
   */
  rolling: boolean;
  /** Whether GetCustomModel answers carry `Status`. false: the 2026 SDK types put it on ListCustomModels items only (F7). */
  customModelStatusOnGet: boolean;
}

export const RESTRICTIVE_COMPAT: Readonly<ArkCompat> = { unitSlots: 1, rolling: false, customModelStatusOnGet: false };

/** The restrictive defaults with the options a caller set. */
export function arkCompat(options: Partial<ArkCompat> = {}): ArkCompat {
  return { ...RESTRICTIVE_COMPAT, ...options };
}
