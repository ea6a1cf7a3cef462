import { z } from 'zod';
import { QuantizationSchema } from '../../api/ark';
import { BASE_MODELS, resolveBaseModel } from '../../model/catalogue';
import { DEFAULT_PART_SIZE, DEFAULT_UPLOAD_CONCURRENCY, MIN_PART_SIZE } from '../../sync/engine';
import { normalizePrefix } from '../../sync/keys';
import { MAX_OBJECT_KEY_BYTES, ownerInput, utf8Bytes } from '../common-inputs';

/** TOS's maximum part size; larger values would be refused by the service. */
export const MAX_PART_SIZE = 5 * 1024 * 1024 * 1024;

function validPrefix(value: string): boolean {
  try {
    normalizePrefix(value);
    return true;
  } catch {
    return false;
  }
}

export const InputsSchema = z.object({
  source: z
    .string()
    .min(1)
    .describe(
      'Where the Hugging Face model (config.json, tokenizer, *.safetensors) is: a local directory (uploaded), a TOS prefix `tos://bucket/prefix/` (copied server-side into bucket/prefix, or used where it is when bucket and prefix are omitted), or a hub repository `hf://owner/name` or `hf://owner/name@revision` (a branch, tag or commit; default main), streamed from the hub into TOS. Hidden files are never uploaded or copied.',
    ),
  sourceVersion: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The version of a tos:// or hf:// source to deploy: the hub commit, or the content digest of the TOS listing. Set by the provider at each preview from the source as it is then; set it yourself to refuse any other content (check fails when the source is elsewhere). An update deploys exactly this version and fails, deploying nothing mixed, when the source moved after the preview.',
    ),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'expected a TOS bucket name: 3-63 characters of a-z, 0-9 and "-", not starting or ending with "-"')
    .optional()
    .describe(
      'TOS bucket to upload or copy into. Required, except for a tos:// source used in place (bucket and prefix both omitted). Changing it replaces the resource (a new copy is made, then the old objects are deleted).',
    ),
  prefix: z
    .string()
    .refine(validPrefix, 'expected a non-empty key prefix of "/"-separated names without empty, "." or ".." segments, e.g. "models/qwen-sft/v3/"')
    .refine(
      (v) => !validPrefix(v) || utf8Bytes(normalizePrefix(v)) < MAX_OBJECT_KEY_BYTES,
      `expected a prefix shorter than ${MAX_OBJECT_KEY_BYTES} bytes (UTF-8, with its trailing "/"): TOS object keys are at most ${MAX_OBJECT_KEY_BYTES} bytes`,
    )
    .optional()
    .describe(
      `Key prefix inside the bucket; normalised to end with "/" (a leading "/" is dropped). Prefix plus each file's relative path must fit a TOS object key (at most ${MAX_OBJECT_KEY_BYTES} bytes of UTF-8; checked at preview). Required with bucket. Changing it replaces the resource.`,
    ),
  baseModel: z
    .string()
    .min(1)
    .refine((v) => resolveBaseModel(v) !== undefined, {
      message: `expected a supported base model (${BASE_MODELS.map((b) => b.id).join(', ')}) or one of their Hugging Face ids`,
    })
    .describe('Base model the directory was fine-tuned from, e.g. "Qwen2.5-7B" or "Qwen/Qwen2.5-7B"; the directory is validated against it before anything is uploaded.'),
  createBucket: z.boolean().default(false).describe('Create the bucket if it does not exist (default false: a missing bucket is an error). The bucket is never deleted.'),
  exclude: z.array(z.string().min(1)).default([]).describe('Glob patterns (relative to source) of files not to upload or copy, e.g. ["*.md", "checkpoints/**"].'),
  deleteRemoved: z.boolean().default(true).describe('Delete objects under the prefix that have no file in the source (default true), so the prefix mirrors the source exactly.'),
  uploadConcurrency: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(DEFAULT_UPLOAD_CONCURRENCY)
    .describe(`Requests in flight at once: small files in parallel, or parts of one large file (default ${DEFAULT_UPLOAD_CONCURRENCY}); the same for copies and hub streams.`),
  partSize: z
    .number()
    .int()
    .min(MIN_PART_SIZE)
    .max(MAX_PART_SIZE)
    .default(DEFAULT_PART_SIZE)
    .describe(`Multipart part size in bytes (default ${DEFAULT_PART_SIZE}, minimum 5 MiB). Files up to this size are sent with a single PUT (or copied with one CopyObject); a hub stream holds at most uploadConcurrency parts' worth of socket buffers, never a whole part.`),
  adoptExisting: z
    .boolean()
    .default(false)
    .describe('Allow creating into a prefix that already holds objects this resource did not write (default false: such a prefix is refused so nobody\'s data is overwritten or deleted by accident).'),
  owner: ownerInput('Set by the resource class (project/stack/name); stored as object metadata so a re-run adopts its own objects.'),
});
export type Inputs = z.infer<typeof InputsSchema>;

export const ManagedFileSchema = z.object({
  path: z.string().describe('Path relative to the prefix.'),
  size: z.number().describe('Size in bytes.'),
  crc64: z
    .string()
    .optional()
    .describe(
      'CRC64-ECMA of the content as a decimal string (the value TOS reports in x-tos-hash-crc64ecma). Absent (or, in states written by earlier versions, empty) when the content is unknown: TOS reported none, or a failed sync left the object unverified (damaged on its way, its file changed while sent, its answer lost). The next update re-uploads such a file.',
    ),
  source: z
    .string()
    .optional()
    .describe('For a file streamed from a hub: the hub\'s identity of its content (`sha256:<hex>` of an LFS file, `git:<sha1>` of a small one), also recorded on the object. The content digest of a hub source is taken over these, so a preview needs only the hub\'s listing.'),
});
export type ManagedFile = z.infer<typeof ManagedFileSchema>;

export const OutputsSchema = InputsSchema.omit({ baseModel: true }).extend({
  bucket: z.string().describe('TOS bucket holding the model: the one uploaded or copied into, or a tos:// source\'s own when used in place.'),
  prefix: z.string().describe('Key prefix of the model in the bucket, ending with "/".'),
  location: z.string().describe('tos://bucket/prefix/ of the model in TOS; what CustomModel takes.'),
  sourceKind: z
    .enum(['local', 'tos', 'hub'])
    .optional()
    .describe('What `source` names: a local directory, a TOS prefix or a hub repository (absent in states written before sources other than a local directory existed: local).'),
  inPlace: z.boolean().optional().describe('True for a tos:// source used where it is (nothing copied, and delete removes nothing); absent or false otherwise.'),
  sourceVersion: z.string().optional().describe('The version deployed (see the input): the hub commit, or the TOS source\'s content digest. Absent for a local directory.'),
  contentDigest: z
    .string()
    .describe('sha256 over the sorted (path, size, fingerprint) of every file, the fingerprint being the CRC64 TOS reports (local and tos:// sources: the same bytes give the same digest) or, for a hub source, the hub\'s content identity; changes iff the model content changes.'),
  fileCount: z.number().describe('Number of managed files.'),
  totalBytes: z.number().describe('Sum of the managed files\' sizes.'),
  baseModel: z.string().describe('Catalogue id of the base model (detected from the files, else the one given).'),
  baseModelInput: z.string().describe('The baseModel input as written by the user.'),
  quantization: QuantizationSchema.nullable().describe('Quantization detected from the files (W8A8, W8A8_FP8, W4A8) or null.'),
  files: z.array(ManagedFileSchema).describe('The objects this resource manages under the prefix; refresh compares them with TOS and delete removes exactly these.'),
});
export type Outputs = z.infer<typeof OutputsSchema>;
