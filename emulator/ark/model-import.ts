import type { CustomModelWire as CustomModel, Quantization } from '../../provider/api/ark';
import { baseModelByArkRef } from '../../provider/model/catalogue';
import { validateModel, type ModelIssue } from '../../provider/model/validate';
import { tosModelFileSource } from '../tos/model-source';
import type { ObjectStore } from '../tos/store';

/** Verdict of reading an imported model's TOS directory. */
export type ImportVerdict = { ok: true; quantization: Quantization | null } | { ok: false; reason: string };
export type ModelImporter = (model: CustomModel) => Promise<ImportVerdict>;

/** StatusReason is cut to this length so a directory full of bad files still gives a readable reason. */
export const MAX_STATUS_REASON_CHARS = 2000;

/**
 * What UploadModel's Processing step does: reads the TOS directory with the model validator (config and
 * safetensors headers by byte range, never tensor data) and decides Ready or Failed. Failed when the files are
 * not a loadable model of the declared base (no config.json, no weights, an unmerged LoRA adapter, another
 * base), or when their precision is not the declared `Quantization` (absent means original precision).
 */
export function tosModelImporter(store: ObjectStore): ModelImporter {
  return async (model: CustomModel): Promise<ImportVerdict> => {
    const location = model.TosLocation!;
    const source = tosModelFileSource(store, location.BucketName, location.ObjectKey);
    const base = model.FoundationModel && baseModelByArkRef(model.FoundationModel);
    const report = await validateModel(source, { baseModel: base?.id });
    if (!report.ok) return { ok: false, reason: reasonFrom(source.describe(), report.errors) };
    const declared = model.Quantization ?? null;
    const detected = report.detected.quantization;
    if (declared !== detected) {
      const found = detected ?? `original precision (${report.detected.torchDtype ?? 'unquantized'})`;
      return { ok: false, reason: `QuantizationMismatch: ${source.describe()}: Quantization declared ${declared ?? 'absent (original precision)'}, the files are ${found}` };
    }
    return { ok: true, quantization: detected };
  };
}

function reasonFrom(location: string, errors: ModelIssue[]): string {
  const text = `${location} is not a loadable model: ${errors.map((e) => `${e.code}: ${e.message}`).join('; ')}`;
  return text.length <= MAX_STATUS_REASON_CHARS ? text : `${text.slice(0, MAX_STATUS_REASON_CHARS - 1)}…`;
}
