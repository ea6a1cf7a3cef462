import { z } from 'zod';
import { BucketNameSchema } from '../../provider/api/tos';

/** Bodies of the admin routes under `/_ark-local/` (wire names PascalCase, like the Ark resources they shape). */

/**
 * `POST /_ark-local/model-units`. FailWith makes the unit's endpoints end Abnormal with that StatusReason;
 * SupportRolling (default: the server's `--rolling`, off) lets its custom-model endpoints roll to another model.
 */
export const CreateModelUnitBodySchema = z.strictObject({
  Name: z.string().min(1).max(64).optional(),
  Slots: z.number().int().min(1).max(1000).optional(),
  FailWith: z.string().min(1).max(256).optional(),
  SupportRolling: z.boolean().optional(),
});
export type CreateModelUnitBody = z.infer<typeof CreateModelUnitBodySchema>;

/** `POST /_ark-local/model-units/{id}/reclaim`: Reason says why, as the StatusReason of its endpoints shows. */
export const ReclaimModelUnitBodySchema = z.strictObject({ Reason: z.string().min(1).max(256).optional() });

/** `POST /_ark-local/endpoints/{id}/fail`. */
export const FailEndpointBodySchema = z.strictObject({ Reason: z.string().min(1).max(1024) });

/**
 * `POST /_ark-local/rollings/fail-next`: the next rollout started (on EndpointId, or on any endpoint) turns
 * Failed with Reason once its traffic share (RollingGray) reaches AtPercent.
 */
export const FailNextRollingBodySchema = z.strictObject({
  AtPercent: z.number().int().min(1).max(100),
  Reason: z.string().min(1).max(1024).optional(),
  EndpointId: z.string().min(1).optional(),
});
/**
 * `POST /_ark-local/hub/repos/{owner}/{name}/commits`: a new commit on Branch (created with the repo when new).
 * Its tree is Directory's files (a path on the ark-local machine, read on demand) when given, else the branch's
 * current tree; Files (inline, base64) are put on top and Delete removes paths.
 */
export const HubCommitBodySchema = z
  .strictObject({
    Branch: z.string().min(1).max(96).default('main'),
    Directory: z.string().min(1).optional(),
    Files: z.array(z.strictObject({ Path: z.string().min(1).max(1024), ContentBase64: z.string() })).max(1000).optional(),
    Delete: z.array(z.string().min(1)).optional(),
    Message: z.string().min(1).max(1024).optional(),
  })
  .refine((b) => b.Directory !== undefined || (b.Files?.length ?? 0) > 0 || (b.Delete?.length ?? 0) > 0, {
    message: 'expected Directory, Files or Delete',
    path: ['Directory'],
  });
export type HubCommitBody = z.input<typeof HubCommitBodySchema>;

/** `PUT /_ark-local/hub/repos/{owner}/{name}/access`: Private repos answer only Tokens (default: every hub token). */
export const HubAccessBodySchema = z.strictObject({
  Private: z.boolean(),
  Tokens: z.array(z.string().min(1)).optional(),
});

/** `PUT /_ark-local/variance`. */
export const VarianceBodySchema = z.strictObject({ enabled: z.boolean() });

/**
 * `POST /_ark-local/tos/buckets`: a bucket in any region, owned by ark-local's account or (Account) another
 * one, whose bucket then refuses ark-local's credentials. CreateBucket over TOS can do neither: its region is
 * the request's credential scope and its owner the caller.
 */
export const CreateBucketBodySchema = z.strictObject({
  Name: BucketNameSchema,
  Region: z.string().regex(/^[a-z0-9-]{1,64}$/),
  Account: z.string().min(1).max(64).optional(),
});

/** `POST /_ark-local/tos/objects`: an object of Size bytes, HeadBase64's bytes then zeros that are never stored. */
export const SeedObjectBodySchema = z.strictObject({
  Bucket: z.string().min(1),
  Key: z.string().min(1).max(1024),
  Size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  HeadBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64'),
  /** User metadata, as `x-tos-meta-<name>` would carry it. */
  Meta: z.record(z.string().regex(/^[a-z0-9-]+$/), z.string()).optional(),
});

/** Summary of the TOS store in `GET /_ark-local/state`. */
export interface TosSummary {
  buckets: { name: string; objects: number; bytes: number }[];
}
