import { DEFAULT_PROJECT_NAME, type ArkRequest, type ArkResult, type CustomModelWire as CustomModel, type KnownCustomModelStatus as CustomModelStatus } from '../../provider/api/ark';
import type { UploadBaseRef } from '../../provider/api/ark';
import type { CustomModelRecord } from '../state/control-plane';
import { advanceOnRead, freshProgress, type Progress } from '../state/transitions';
import { ArkApiError, dryRunPassed, notFound } from './errors';
import { assertUniqueTagKeys, inSet, listPage, nameMatches } from './listing';
import type { ImportVerdict, ModelImporter } from './model-import';
import { customModelOf, holdsEndpoint } from './rollings';
import { advanceEvery, advanceFound, copy, rfc3339, type ControlPlaneStore } from './store';
import { stampStatus } from './status';

/** Custom model states that move on by themselves when read: Preparing -> Processing -> Ready | Failed. */
export const TRANSITIONAL_MODEL_STATUSES: readonly CustomModelStatus[] = ['Preparing', 'Processing', 'Deleting'];
/** SourceType of models created by UploadModel (the docs only show `Customization`). */
export const IMPORT_SOURCE_TYPE = 'Import';

export interface CustomModelsDeps {
  bucketExists(bucket: string): Promise<boolean>;
  importModel: ModelImporter;
  /** The bases UploadModel accepts (a `{Name, ModelVersion}` pair or an `{Id: "fm-…"}`); a reason when unsupported. */
  checkFoundationModel(ref: UploadBaseRef): string | undefined;
  /** What a List does before filtering: advance every resource of the control plane, counting a read or not. */
  advanceAll(countRead: boolean): Promise<void>;
}

/** Custom models imported with UploadModel: the actions on them and their import state machine. */
export class CustomModels {
  /** Imports being validated, so concurrent reads share one run. */
  private readonly imports = new Map<string, Promise<ImportVerdict>>();

  constructor(
    private readonly store: ControlPlaneStore,
    private readonly deps: CustomModelsDeps,
  ) {}

  async upload(req: ArkRequest<'UploadModel'>): Promise<ArkResult<'UploadModel'>> {
    assertUniqueTagKeys(req.Tags);
    this.assertNameFree(req.Name);
    const unsupported = this.deps.checkFoundationModel(req.FoundationModel);
    if (unsupported) throw new ArkApiError('NotFound.FoundationModel', unsupported);
    const location = normalizeTosLocation(req.TosLocation);
    if (!(await this.deps.bucketExists(location.BucketName))) {
      throw new ArkApiError('NotFound.TosBucket', `The TOS bucket "${location.BucketName}" does not exist in this region.`);
    }
    // Re-check after the await: a concurrent upload may have taken the name meanwhile.
    this.assertNameFree(req.Name);
    if (req.DryRun) throw dryRunPassed();

    const now = this.store.now();
    const model: CustomModel = {
      Id: this.store.newId('cm', now),
      Name: req.Name,
      Description: req.Description ?? '',
      ProjectName: req.ProjectName ?? DEFAULT_PROJECT_NAME,
      SourceType: IMPORT_SOURCE_TYPE,
      // A model card named by `fm-…` id: ark-local has no cards to resolve it to `{Name, ModelVersion}`, so the
      // model reports no FoundationModel (the reader treats it as optional) and the import identifies the base
      // from the files.
      FoundationModel: 'Name' in req.FoundationModel ? req.FoundationModel : undefined,
      Status: 'Preparing',
      Quantization: req.Quantization,
      TosLocation: location,
      Tags: req.Tags ?? [],
      CreateTime: rfc3339(now),
      UpdateTime: rfc3339(now),
    };
    this.store.state.customModels.push({ model, progress: freshProgress(now) });
    this.store.persist();
    return { Id: model.Id };
  }

  /**
   * The 2026 Node SDK's Get shape has neither `Status` nor `StatusReason` (F7); only List items carry them. The
   * restrictive default leaves both out; `customModelStatusOnGet` puts them back.
   */
  async get(req: ArkRequest<'GetCustomModel'>): Promise<ArkResult<'GetCustomModel'>> {
    const record = await this.advance(req.Id, true);
    if (this.store.compat.customModelStatusOnGet) return copy(record.model);
    const { Status: _status, StatusReason: _reason, ...shown } = copy(record.model);
    return shown;
  }

  async list(req: ArkRequest<'ListCustomModels'>): Promise<ArkResult<'ListCustomModels'>> {
    await this.deps.advanceAll(true);
    const f = req.Filter ?? {};
    const items = this.store.state.customModels
      .map((r) => r.model)
      .filter(
        (m) =>
          inSet(m.Id, f.Ids) &&
          nameMatches(m.Name, f.Name) &&
          inSet(m.Status, f.Statuses) &&
          (req.ProjectName === undefined || m.ProjectName === req.ProjectName),
      );
    return copy(listPage(items, req));
  }

  async update(req: ArkRequest<'UpdateCustomModel'>): Promise<ArkResult<'UpdateCustomModel'>> {
    const record = await this.advance(req.Id, false);
    if (record.model.Status === 'Deleting') {
      throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${req.Id}" is Deleting; UpdateCustomModel needs a model that is not being deleted.`);
    }
    if (req.Name !== undefined && req.Name !== record.model.Name) this.assertNameFree(req.Name);
    if (req.DryRun) throw dryRunPassed();
    if (req.Name !== undefined) record.model.Name = req.Name;
    if (req.Description !== undefined) record.model.Description = req.Description;
    record.model.UpdateTime = rfc3339(this.store.now());
    this.store.persist();
    return { Id: record.model.Id };
  }

  async delete(req: ArkRequest<'DeleteCustomModel'>): Promise<ArkResult<'DeleteCustomModel'>> {
    const record = await this.advance(req.Id, false);
    if (record.model.Status === 'Deleting') {
      throw new ArkApiError('OperationDenied.InvalidState', `The CustomModel "${req.Id}" is already Deleting.`);
    }
    const serving = this.store.state.endpoints.filter((e) => e.endpoint.ModelReference.CustomModelId === req.Id).map((e) => e.endpoint.Id);
    // A rollout holding its endpoint still needs both its models: the one it leaves (a cancel returns to it) and
    // the target. One that finished, or whose endpoint is gone (deleted mid-rollout), needs nothing any more.
    const rolling = this.store.state.rollings
      .filter(({ rolling: r }) => holdsEndpoint(this.store.state, r))
      .filter(({ rolling: r }) => [customModelOf(r.RollingOut), customModelOf(r.RollingIn)].includes(req.Id))
      .map(({ rolling: r }) => `${r.EndpointId} (rollout ${r.Id}, ${r.Status})`);
    const users = [...new Set([...serving, ...rolling])];
    if (users.length > 0) {
      throw new ArkApiError('OperationDenied.CustomModelInUse', `The CustomModel "${req.Id}" is referenced by endpoint(s) ${users.join(', ')}; delete them first.`);
    }
    if (req.DryRun) throw dryRunPassed();
    record.model.Status = 'Deleting';
    delete record.model.StatusReason;
    record.model.UpdateTime = rfc3339(this.store.now());
    record.progress = freshProgress(this.store.now());
    this.store.persist();
    return {};
  }

  /** The model as other services see it (no read is counted). */
  peek(id: string): CustomModel | undefined {
    const record = this.find(id);
    return record && copy(record.model);
  }

  find(id: string): CustomModelRecord | undefined {
    return this.store.state.customModels.find((r) => r.model.Id === id);
  }

  /** Advances every model without persisting; returns whether anything changed. */
  async advanceEach(countRead: boolean): Promise<boolean> {
    return advanceEvery(this.store.state.customModels, (record) => this.advanceRecord(record, countRead));
  }

  /** Forgets imports in flight, for a reset: their verdicts no longer belong to any model. */
  forgetImports(): void {
    this.imports.clear();
  }

  /**
   * Get counts a read (countRead); mutations take the steps that are already due, as a real service would have,
   * without counting one. NotFound if absent or gone after advancing.
   */
  private advance(id: string, countRead: boolean): Promise<CustomModelRecord> {
    return advanceFound(
      this.store,
      () => this.find(id),
      (record) => this.advanceRecord(record, countRead),
      () => notFound('CustomModel', id),
    );
  }

  private advanceRecord(record: CustomModelRecord, countRead: boolean): Promise<boolean> {
    return advanceOnRead(this.store.policy, this.store.now(), countRead, {
      progress: () => record.progress,
      setProgress: (p: Progress) => (record.progress = p),
      isTransitional: () => TRANSITIONAL_MODEL_STATUSES.includes(record.model.Status) && this.store.state.customModels.includes(record),
      step: async () => {
        const m = record.model;
        if (m.Status === 'Deleting') {
          this.store.state.customModels = this.store.state.customModels.filter((r) => r !== record);
          return false;
        }
        if (m.Status === 'Preparing') {
          this.setStatus(record, 'Processing');
          return true;
        }
        const verdict = await this.runImport(m);
        // The model may have been deleted or reset while its files were being read.
        if (!this.store.state.customModels.includes(record) || m.Status !== 'Processing') return this.store.state.customModels.includes(record);
        if (verdict.ok) this.setStatus(record, 'Ready');
        else this.setStatus(record, 'Failed', verdict.reason);
        return true;
      },
    });
  }

  private runImport(model: CustomModel): Promise<ImportVerdict> {
    let run = this.imports.get(model.Id);
    if (!run) {
      run = this.deps
        .importModel(copy(model))
        .catch((err: unknown): ImportVerdict => ({ ok: false, reason: `reading the model files failed: ${(err as Error).message}` }))
        .finally(() => this.imports.delete(model.Id));
      this.imports.set(model.Id, run);
    }
    return run;
  }

  private setStatus(record: CustomModelRecord, status: CustomModelStatus, reason?: string): void {
    stampStatus(record.model, status, this.store.now(), reason);
  }

  private assertNameFree(name: string): void {
    const clash = this.store.state.customModels.find((m) => m.model.Name === name);
    if (clash) throw new ArkApiError('Duplicate.Name', `A CustomModel named "${name}" already exists (${clash.model.Id}); names are unique.`);
  }
}

/** TOS locations name a directory: an ObjectKey that is not empty gets a trailing `/`. */
export function normalizeTosLocation(loc: { BucketName: string; ObjectKey: string }): { BucketName: string; ObjectKey: string } {
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(loc.BucketName)) {
    throw new ArkApiError('InvalidParameter.TosURLInvalid', `TosLocation.BucketName "${loc.BucketName}" is not a valid bucket name (3-63 of a-z, 0-9, "-", not starting or ending with "-").`);
  }
  if (loc.ObjectKey.startsWith('/') || loc.ObjectKey.split('/').includes('..')) {
    throw new ArkApiError('InvalidParameter.TosURLInvalid', `TosLocation.ObjectKey "${loc.ObjectKey}" must be a relative prefix without a leading "/" or "..".`);
  }
  const key = loc.ObjectKey === '' || loc.ObjectKey.endsWith('/') ? loc.ObjectKey : `${loc.ObjectKey}/`;
  return { BucketName: loc.BucketName, ObjectKey: key };
}
