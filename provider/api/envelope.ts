import { z } from 'zod';

/**
 * The Volcengine OpenAPI response envelope used by every Ark control-plane action
 * (reference: ark-api.md §1.2, confirmed).
 */
export const ARK_API_VERSION = '2024-01-01';
export const ARK_SERVICE = 'ark';
export const DEFAULT_REGION = 'cn-beijing';

export const ResponseMetadataSchema = z.object({
  RequestId: z.string(),
  Action: z.string(),
  Version: z.string(),
  Service: z.string(),
  Region: z.string(),
});
export type ResponseMetadata = z.infer<typeof ResponseMetadataSchema>;

export const ApiErrorBodySchema = z.object({
  Code: z.string().min(1),
  Message: z.string(),
  /** Numeric code; "only some interfaces provide it" (D-common). */
  CodeN: z.number().int().optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** An error response: `ResponseMetadata.Error` and no `Result`. */
export const ErrorEnvelopeSchema = z.object({
  ResponseMetadata: ResponseMetadataSchema.partial().extend({ Error: ApiErrorBodySchema }),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/** A success response carrying an action's output directly in `Result`. */
export function successEnvelopeSchema<T extends z.ZodType>(result: T) {
  return z.object({ ResponseMetadata: ResponseMetadataSchema, Result: result });
}

/**
 * The reader's envelope: ResponseMetadata must be there (it is what marks an Ark answer) but none of its fields
 * is needed to proceed; `Result` may be absent only for actions that document no output.
 */
export function readEnvelopeSchema<T extends z.ZodType>(result: T, resultMayBeAbsent: boolean) {
  return z.object({
    ResponseMetadata: ResponseMetadataSchema.partial().loose(),
    Result: resultMayBeAbsent ? result.optional() : result,
  });
}

/**
 * RequestId in the documented form: a `YYYYMMDDhhmmss` timestamp followed by 18 upper-case hex characters,
 * 32 characters in all (the generator's exact scheme is inferred from examples).
 */
export const REQUEST_ID_PATTERN = /^\d{14}[0-9A-F]{18}$/;
