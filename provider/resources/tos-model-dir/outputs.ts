import { tosUri } from '../../api/tos';
import { resolveBaseModel } from '../../model/catalogue';
import type { ModelFileSource } from '../../model/source';
import { validateModel } from '../../model/validate';
import { contentDigest } from '../../sync/digest';
import type { Inputs, ManagedFile, Outputs } from './schema';

/** What the outputs say of the source: its kind, whether it is used in place, the version deployed. */
export type SourceOutputs = Pick<Outputs, 'sourceKind' | 'inPlace' | 'sourceVersion'>;

/** The base and quantization the files show (the validator's detection), else the base the inputs name. */
export async function detectModel(inputs: Inputs, files: ModelFileSource): Promise<Pick<Outputs, 'baseModel' | 'quantization'>> {
  const report = await validateModel(files, { baseModel: inputs.baseModel });
  const baseModel = report.detected.baseModel ?? resolveBaseModel(inputs.baseModel)?.id ?? inputs.baseModel;
  return { baseModel, quantization: report.detected.quantization };
}

/** A TosModelDir's outputs, whatever its source: the inputs, where the model is in TOS, and its files. */
export function outputsOf(
  inputs: Inputs,
  where: { bucket: string; prefix: string },
  source: SourceOutputs,
  detected: Pick<Outputs, 'baseModel' | 'quantization'>,
  files: ManagedFile[],
): Outputs {
  const { baseModel: baseModelInput, ...rest } = inputs;
  return {
    ...rest,
    bucket: where.bucket,
    prefix: where.prefix,
    location: tosUri(where.bucket, where.prefix),
    ...source,
    baseModelInput,
    ...detected,
    ...managedTotals(files),
  };
}

/** The content digest is taken over each file's fingerprint: a hub file's source identity, else its CRC64. */
export function managedTotals(files: ManagedFile[]): Pick<Outputs, 'files' | 'contentDigest' | 'fileCount' | 'totalBytes'> {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    files: sorted,
    contentDigest: contentDigest(sorted.map((f) => ({ path: f.path, size: f.size, crc64: f.source ?? f.crc64 }))),
    fileCount: sorted.length,
    totalBytes: sorted.reduce((n, f) => n + f.size, 0),
  };
}
