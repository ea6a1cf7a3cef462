import * as pulumi from '@pulumi/pulumi';
import { ArkDynamicResource, ownerTagFor } from '../dynamic-shim';
import type { ManagedFile } from './schema';

/** Arguments of TosModelDir; see docs/resources/tos-model-dir.md for each one. */
export interface TosModelDirArgs {
  /** Local directory holding the Hugging Face model. */
  source: pulumi.Input<string>;
  /** TOS bucket (changing it replaces the resource). */
  bucket: pulumi.Input<string>;
  /** Key prefix, normalised to end with "/" (changing it replaces the resource). */
  prefix: pulumi.Input<string>;
  /** Base model the directory was fine-tuned from, e.g. "Qwen2.5-7B". */
  baseModel: pulumi.Input<string>;
  /** Create the bucket when missing (default false). */
  createBucket?: pulumi.Input<boolean>;
  /** Glob patterns of files not to upload. */
  exclude?: pulumi.Input<pulumi.Input<string>[]>;
  /** Delete objects under the prefix that have no local file (default true). */
  deleteRemoved?: pulumi.Input<boolean>;
  /** Requests in flight at once (default 8). */
  uploadConcurrency?: pulumi.Input<number>;
  /** Multipart part size in bytes (default 64 MiB). */
  partSize?: pulumi.Input<number>;
  /** Allow creating into a prefix holding objects this resource did not write (default false). */
  adoptExisting?: pulumi.Input<boolean>;
}

/**
 * A local model directory mirrored to a TOS prefix: parallel, resumable, CRC64-verified uploads of what
 * changed; `contentDigest` changes iff the model content changes, which is what CustomModel keys on.
 */
export class TosModelDir extends ArkDynamicResource {
  /** `tos://bucket/prefix/` */
  declare readonly location: pulumi.Output<string>;
  declare readonly bucket: pulumi.Output<string>;
  declare readonly prefix: pulumi.Output<string>;
  declare readonly contentDigest: pulumi.Output<string>;
  declare readonly fileCount: pulumi.Output<number>;
  declare readonly totalBytes: pulumi.Output<number>;
  /** Catalogue id of the base model. */
  declare readonly baseModel: pulumi.Output<string>;
  declare readonly quantization: pulumi.Output<'W8A8' | 'W8A8_FP8' | 'W4A8' | null>;
  declare readonly files: pulumi.Output<ManagedFile[]>;

  constructor(name: string, args: TosModelDirArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      'TosModelDir',
      name,
      {
        ...args,
        owner: ownerTagFor(name),
        location: undefined,
        contentDigest: undefined,
        fileCount: undefined,
        totalBytes: undefined,
        baseModelInput: undefined,
        quantization: undefined,
        files: undefined,
      },
      opts,
    );
  }
}
