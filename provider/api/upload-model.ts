import type { Quantization, RequestTag, UploadBaseRef, UploadModelRequest } from './ark';

/**
 * The UploadModel request, built in one place. Ark's TOS import action is not publicly documented (reference
 * open question 1): every field name here is our guess, following the confirmed conventions of other Ark
 * actions (`{BucketName, ObjectKey}` from CreateBatchInferenceJob, `FoundationModel{Name, ModelVersion}` from
 * CreateEndpoint). A base named by model-card id goes as `FoundationModel: {Id: "fm-…"}` [I: ark-cli takes an
 * `fm-` id for `--base-model`, F6; the field it sends is not published]. The CustomModel controller sends exactly
 * this body, and `pulumi-ark doctor
 * --upload-model-request` prints it, so it can be compared with the console's own network request and fixed
 * here, once, when they differ.
 */
export interface UploadModelIntent {
  /** The Ark model name (`<name>-<8 hex>`, see arkModelName in the CustomModel controller). */
  modelName: string;
  description?: string;
  projectName?: string;
  /** The catalogue's reference, or the one the CustomModel names (`baseModelRef`). */
  base: UploadBaseRef;
  bucket: string;
  /** The directory's key prefix, ending in `/`. */
  prefix: string;
  /** Absent or null: original precision (BF16/FP16). */
  quantization?: Quantization | null;
  tags: RequestTag[];
}

export function uploadModelRequest(intent: UploadModelIntent): UploadModelRequest {
  return {
    Name: intent.modelName,
    Description: intent.description,
    ProjectName: intent.projectName,
    FoundationModel: 'Id' in intent.base ? { Id: intent.base.Id } : { Name: intent.base.Name, ModelVersion: intent.base.ModelVersion },
    TosLocation: { BucketName: intent.bucket, ObjectKey: intent.prefix },
    Quantization: intent.quantization ?? undefined,
    Tags: intent.tags,
  };
}

/** `name/version` or the `fm-…` id, as messages and the doctor show a base reference. */
export function describeBaseRef(ref: UploadBaseRef): string {
  return 'Id' in ref ? ref.Id : `${ref.Name}/${ref.ModelVersion}`;
}
