import { hasEmptyResult, type ArkAction } from '../../provider/api/ark';

/**
 * Variance mode: ark-local answers the way a less predictable real service may, within what the official
 * SDK models allow, so the client's tolerant reader is exercised end to end. Off by default; `--variance` on
 * the CLI, `variance: true` in startArkLocal, or `PUT /_ark-local/variance {"enabled": true}` per test.
 *
 * Applied to a Result after it was built and checked against the writer schema, so state never changes:
 * - every resource object, page and id result carries an unknown extra field (`VARIANCE_EXTRA_FIELD`);
 * - optional fields holding nothing are left out (empty Description/Tags, ProjectName `default`, false flags,
 *   a Tag's empty Value; EndpointModelType, SourceType; RateLimit in list items; a page's TotalCount,
 *   PageNumber and PageSize);
 * - the first `UNKNOWN_STATUS_ANSWERS` answers showing a resource in a new phase (its first sighting, or each
 *   transitional state) report an unknown transitional status instead (`UNKNOWN_STATUS`), so the known one
 *   comes after it (two, so a read before a wait and the wait's first poll both meet it); an answer without
 *   `Status` (GetCustomModel by default) keeps none;
 * - actions with no output send no `Result` at all (DeleteCustomModel documents none).
 */

export const VARIANCE_EXTRA_FIELD = 'ArkLocalVarianceField';

/** Statuses no known Ark source lists for these kinds; ark-cli mentions `Pending` informally. */
export const UNKNOWN_STATUS = { endpoint: 'Pending', customModel: 'Queued' } as const;

export const UNKNOWN_STATUS_ANSWERS = 2;

/** Known states during which the real service might report something finer-grained. */
const TRANSITIONAL = new Set(['Scheduling', 'Deleting', 'Preparing', 'Processing']);

type Kind = keyof typeof UNKNOWN_STATUS;
type Json = Record<string, unknown>;

const RESOURCE_KIND: Partial<Record<ArkAction, { kind: Kind; list: boolean }>> = {
  GetEndpoint: { kind: 'endpoint', list: false },
  ListEndpoints: { kind: 'endpoint', list: true },
  GetCustomModel: { kind: 'customModel', list: false },
  ListCustomModels: { kind: 'customModel', list: true },
};

/** What to send: the varied Result, or none. */
export interface VariedResult {
  omitResult: boolean;
  result?: unknown;
}

export class ResponseVariance {
  private enabled: boolean;
  /** Per resource id: the real status last answered and how many answers it had in a row (its phase). */
  private readonly phases = new Map<string, { status: string; answers: number; total: number }>();

  constructor(private readonly initiallyEnabled: boolean) {
    this.enabled = initiallyEnabled;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** Back to the start-up setting, forgetting what was shown (admin reset). */
  reset(): void {
    this.enabled = this.initiallyEnabled;
    this.phases.clear();
  }

  vary(action: ArkAction, result: unknown): VariedResult {
    if (!this.enabled) return { omitResult: false, result };
    if (hasEmptyResult(action)) return { omitResult: true };
    const copy = structuredClone(result) as Json;
    const resource = RESOURCE_KIND[action];
    if (!resource) return { omitResult: false, result: { ...copy, [VARIANCE_EXTRA_FIELD]: { Action: action } } };
    if (resource.list) {
      const items = (copy.Items as Json[]).map((item) => this.varyResource(resource.kind, item, true));
      return { omitResult: false, result: { Items: items, [VARIANCE_EXTRA_FIELD]: { Page: true } } };
    }
    return { omitResult: false, result: this.varyResource(resource.kind, copy, false) };
  }

  private varyResource(kind: Kind, object: Json, inList: boolean): Json {
    const out: Json = { ...object, [VARIANCE_EXTRA_FIELD]: { Kind: kind } };
    if (out.Description === '') delete out.Description;
    if (out.ProjectName === 'default') delete out.ProjectName;
    if (Array.isArray(out.Tags)) {
      if (out.Tags.length === 0) delete out.Tags;
      else out.Tags = (out.Tags as Json[]).map((tag) => (tag.Value === '' ? { Key: tag.Key } : tag));
    }
    for (const flag of ['SupportRolling', 'SupportScaleTier', 'BatchOnly']) if (out[flag] === false) delete out[flag];
    delete out.EndpointModelType;
    delete out.SourceType;
    if (inList) delete out.RateLimit;
    // GetCustomModel carries no Status by default (F7): nothing to vary, and none to invent.
    if (typeof out.Status !== 'string') return out;
    const id = String(out.Id);
    const status = String(out.Status);
    const last = this.phases.get(id);
    const phase = last && last.status === status ? { status, answers: last.answers + 1, total: last.total + 1 } : { status, answers: 1, total: (last?.total ?? 0) + 1 };
    this.phases.set(id, phase);
    const early = phase.total <= UNKNOWN_STATUS_ANSWERS || (TRANSITIONAL.has(status) && phase.answers <= UNKNOWN_STATUS_ANSWERS);
    if (early) out.Status = UNKNOWN_STATUS[kind];
    return out;
  }
}
