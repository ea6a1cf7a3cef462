import * as pulumi from '@pulumi/pulumi';
import { ArkDynamicResource, ownerTagFor } from '../dynamic-shim';

/** Arguments of CustomModel; docs/resources/custom-model.md documents each one. */
export interface CustomModelArgs {
  /** Display name; Ark gets `<name>-<8 hex>` (see `modelName`). Renaming updates in place. */
  name: pulumi.Input<string>;
  /** Base model catalogue id, e.g. "Qwen2.5-7B" (Hugging Face ids accepted). Changing it replaces the model. */
  baseModel: pulumi.Input<string>;
  /**
   * The Ark base reference to import against when it is not the catalogue's (the model card shared with your
   * account): `{ name, modelVersion }` or `{ id: "fm-…" }`. Changing it replaces the model.
   */
  baseModelRef?: pulumi.Input<{ name?: pulumi.Input<string>; modelVersion?: pulumi.Input<string>; id?: pulumi.Input<string> }>;
  /** `tos://bucket/prefix/` of the weights (TosModelDir.location). Changing it replaces the model. */
  location: pulumi.Input<string>;
  /** Content digest of the weights (TosModelDir.contentDigest). Changing it replaces the model. */
  contentDigest: pulumi.Input<string>;
  /** Up to 300 characters; updates in place. */
  description?: pulumi.Input<string>;
  /** W8A8, W8A8_FP8 or W4A8; absent/null for original precision. Changing it replaces the model. */
  quantization?: pulumi.Input<'W8A8' | 'W8A8_FP8' | 'W4A8' | null>;
  /** Extra tags; changing them replaces the model (Ark cannot retag a custom model). */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Ark project (default: the service default). Changing it replaces the model. */
  projectName?: pulumi.Input<string>;
  /** How long to wait for the import to become Ready (default 3600). */
  createTimeoutSeconds?: pulumi.Input<number>;
  /** How long delete waits for deleting endpoints and for the model to go (default 600). */
  deleteTimeoutSeconds?: pulumi.Input<number>;
  /** Take over an existing `cm-…` model instead of importing (only read at create). */
  adoptExistingId?: pulumi.Input<string>;
}

/**
 * A fine-tuned model imported into Ark from a TOS directory (UploadModel), waited on until Ready. New weights
 * (a new contentDigest) import a new model before the old one is deleted, so endpoints can move over first.
 */
export class CustomModel extends ArkDynamicResource {
  declare readonly name: pulumi.Output<string>;
  /** The model's name in Ark: `<name>-<8 hex>`. */
  declare readonly modelName: pulumi.Output<string>;
  declare readonly baseModel: pulumi.Output<string>;
  declare readonly location: pulumi.Output<string>;
  declare readonly contentDigest: pulumi.Output<string>;
  declare readonly quantization: pulumi.Output<'W8A8' | 'W8A8_FP8' | 'W4A8' | null | undefined>;
  /** Preparing, Processing, Ready or Failed. */
  declare readonly status: pulumi.Output<string>;
  declare readonly statusReason: pulumi.Output<string | undefined>;
  /** The model's Ark FoundationModel reference (absent when an `fm-…` import's reference is not reported). */
  declare readonly foundationModel: pulumi.Output<{ name: string; modelVersion: string } | undefined>;
  declare readonly baseModelRef: pulumi.Output<{ name?: string; modelVersion?: string; id?: string } | undefined>;
  declare readonly createTime: pulumi.Output<string>;
  declare readonly updateTime: pulumi.Output<string>;

  constructor(name: string, args: CustomModelArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      'CustomModel',
      name,
      {
        ...args,
        owner: ownerTagFor(name),
        modelName: undefined,
        status: undefined,
        statusReason: undefined,
        foundationModel: undefined,
        createTime: undefined,
        updateTime: undefined,
      },
      opts,
    );
  }
}
