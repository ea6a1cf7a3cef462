import { z } from 'zod';
import { CUSTOM_MODEL_NAME_PATTERN, CustomModelStatusSchema, MAX_CUSTOM_MODEL_DESCRIPTION, QuantizationSchema } from '../../api/ark';
import { CUSTOM_MODEL_ID_PATTERN, FOUNDATION_MODEL_ID_PATTERN } from '../../api/ids';
import { MAX_OBJECT_KEY_BYTES, ownerInput, tagsInput, utf8Bytes, waitSecondsInput } from '../common-inputs';

/**
 * Inputs and outputs of the `CustomModel` resource: a model imported into Ark from a TOS directory (UploadModel).
 * The Ark model name is `<name>-<8 hex>`, the suffix derived from what the import reads (content digest, base
 * model, quantization, location): Ark model names are account-unique, and a replacement must be created before
 * the old model is deleted (the endpoint moves over first), so the two must not share a name.
 */

/** `tos://bucket/` or `tos://bucket/prefix/` (bucket naming as TOS: 3-63 lower-case letters, digits, '-'). */
export const TOS_LOCATION_PATTERN = /^tos:\/\/([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\/((?:[^/]+\/)*)$/;

/**
 * `.` and `..` segments: ark-local's UploadModel refuses them, and a key prefix with them names no TOS
 * "directory" a TosModelDir can write (provider/sync/keys.ts refuses them too).
 */
function hasDotSegment(location: string): boolean {
  return location.slice('tos://'.length).split('/').some((segment) => segment === '.' || segment === '..');
}

/** The key prefix of a location, whose keys must fit TOS's 1024-byte object keys (common-inputs.ts). */
function prefixBytes(location: string): number {
  return utf8Bytes(TOS_LOCATION_PATTERN.exec(location)?.[2] ?? '');
}

export const DEFAULT_CREATE_TIMEOUT_SECONDS = 3_600;
export const DEFAULT_DELETE_TIMEOUT_SECONDS = 600;

const TagsInput = tagsInput('Extra tags for the model (the owner tag is added automatically). Changing them replaces the model: Ark cannot retag a custom model.');

export const InputsSchema = z.object({
  // No length limit: Ark documents none for custom model names (ark-api.md §6); only the character rule (ark-cli).
  name: z
    .string()
    .min(1)
    .regex(CUSTOM_MODEL_NAME_PATTERN, 'must start with an ASCII letter, then letters, digits, CJK characters, "_" or "-"')
    .describe('Display name; Ark gets `<name>-<8 hex>` (see `modelName`). It must start with an ASCII letter, then letters, digits, CJK characters, "_" or "-" (ark-cli). Renaming updates in place.'),
  baseModel: z
    .string()
    .min(1)
    .describe('Catalogue id of the base model the weights fine-tune (`Qwen2.5-7B`; Hugging Face ids such as `Qwen/Qwen2.5-7B` are accepted). Changing it replaces the model.'),
  location: z
    .string()
    .regex(TOS_LOCATION_PATTERN, 'must look like tos://bucket/prefix/ (ending in "/")')
    .refine((v) => !hasDotSegment(v), 'must not contain "." or ".." segments (UploadModel refuses them)')
    .refine((v) => prefixBytes(v) < MAX_OBJECT_KEY_BYTES, `the prefix must be shorter than ${MAX_OBJECT_KEY_BYTES} bytes: TOS object keys are at most ${MAX_OBJECT_KEY_BYTES} bytes`)
    .describe(
      `The weights directory in TOS, \`tos://bucket/prefix/\` (TosModelDir.location): no "." or ".." segments, a prefix under ${MAX_OBJECT_KEY_BYTES} bytes (TOS object keys are at most ${MAX_OBJECT_KEY_BYTES} bytes). Changing it replaces the model.`,
    ),
  baseModelRef: z
    .object({
      name: z.string().min(1).optional().describe('FoundationModel Name, e.g. `qwen3-8b` (with modelVersion).'),
      modelVersion: z.string().min(1).optional().describe('FoundationModel ModelVersion, e.g. `20250429` (with name).'),
      id: z
        .string()
        .regex(FOUNDATION_MODEL_ID_PATTERN, 'must be a base-model id like fm-…')
        .optional()
        .describe('The base model card id, `fm-…` (instead of name and modelVersion).'),
    })
    .refine((r) => (r.id !== undefined ? r.name === undefined && r.modelVersion === undefined : r.name !== undefined && r.modelVersion !== undefined), {
      message: 'set either id (fm-…) alone, or name and modelVersion together',
    })
    .optional()
    .describe(
      'The Ark base reference to import against, when it is not the catalogue\'s for `baseModel` (the model card shared with your account: its `{name, modelVersion}`, or its `fm-…` id). `baseModel` still names the architecture the weights are checked against. Changing it replaces the model.',
    ),
  contentDigest: z
    .string()
    .min(1)
    .describe('Digest of the directory content (TosModelDir.contentDigest): new weights -> new digest -> a new model.'),
  description: z
    .string()
    .max(MAX_CUSTOM_MODEL_DESCRIPTION)
    .optional()
    .describe(`Up to ${MAX_CUSTOM_MODEL_DESCRIPTION} characters (ark-cli's documented limit); updates in place.`),
  quantization: QuantizationSchema.nullish().describe('Precision scheme of the checkpoint (W8A8, W8A8_FP8, W4A8); absent or null for BF16/FP16 (TosModelDir.quantization can be passed as is). Changing it replaces the model.'),
  tags: TagsInput.optional(),
  projectName: z.string().min(1).optional().describe('Ark project; the service default (`default`) when absent. Changing it replaces the model.'),
  createTimeoutSeconds: waitSecondsInput(`How long create (and a resumed wait in update) waits for the import to become Ready; default ${DEFAULT_CREATE_TIMEOUT_SECONDS}.`),
  deleteTimeoutSeconds: waitSecondsInput(`How long delete waits for endpoints still being deleted to disappear and for the model to be gone; default ${DEFAULT_DELETE_TIMEOUT_SECONDS}.`),
  adoptExistingId: z
    .string()
    .regex(CUSTOM_MODEL_ID_PATTERN, 'must be a custom model id like cm-20240101000000-abcde')
    .optional()
    .describe('Take over an existing custom model (cm-…) instead of importing; its base model and location must match. Only read at create.'),
  owner: ownerInput('Set by the resource class: project/stack/resource name, written as an owner tag.'),
});
export type Inputs = z.infer<typeof InputsSchema>;
export const INPUT_KEYS = Object.keys(InputsSchema.shape) as (keyof Inputs)[];

export const OutputsSchema = InputsSchema.extend({
  modelName: z.string().describe('The model name in Ark: `<name>-<8 hex>`.'),
  // Open: a status Ark adds later is reported as read, not refused (tolerant reader, provider/api/ark.ts).
  status: CustomModelStatusSchema.describe('Import status: Preparing, Processing, Ready or Failed.'),
  statusReason: z.string().optional().describe('Why the import failed, as the service reports it.'),
  foundationModel: z
    .object({ name: z.string(), modelVersion: z.string() })
    .optional()
    .describe(
      'The Ark FoundationModel reference of the model: as Ark reports it, else the one the import sent (baseModelRef, else the catalogue). Absent when the import named an `fm-…` id and Ark reports no reference.',
    ),
  createTime: z.string().describe('RFC 3339 creation time reported by Ark.'),
  updateTime: z.string().describe('RFC 3339 time of the last change reported by Ark.'),
});
export type Outputs = z.infer<typeof OutputsSchema>;
