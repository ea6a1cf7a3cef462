import { z } from 'zod';
import { EndpointStatusSchema, INT32_MAX, MODERATION_STRATEGIES } from '../../api/ark';
import { CUSTOM_MODEL_ID_PATTERN, ENDPOINT_ID_PATTERN } from '../../api/ids';
import { ownerInput, tagsInput, waitSecondsInput } from '../common-inputs';

/**
 * Inputs and outputs of the `ModelUnitEndpoint` resource: an Ark inference endpoint serving a custom model on a
 * model unit. Its id (`ep-…`) is what the Chat API takes as `model`.
 */

export const DEFAULT_CREATE_TIMEOUT_SECONDS = 1_800;
export const DEFAULT_DELETE_TIMEOUT_SECONDS = 900;

/** Moderation strategies the sources name: Default and Basic (Terraform Cloud Control), Customized and Skip (ark-cli). */
export const KNOWN_MODERATION_STRATEGIES: readonly string[] = MODERATION_STRATEGIES;

export const ReplacementSchema = z.enum(['create-before-delete', 'delete-before-create']);
export type Replacement = z.infer<typeof ReplacementSchema>;

/**
 * A model unit id as the console shows it. Units have no public API and the console calls the id an instance-group
 * id (ark-api-2026.md F2), so no format is known: ark-local's `mu-…` is ours. Only what cannot be an id is refused.
 */
function modelUnitIdInput(description: string) {
  return z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a model unit id (letters, digits, - _ .), as the Ark console shows it').describe(description);
}

/** How long a rolling model switch may take (Ark's default pace needs ~50 min), and then its cancel, when neither input nor engine says. */
export const DEFAULT_ROLLING_TIMEOUT_SECONDS = 3_600;

/**
 * `replace` (default: the behaviour every existing stack was planned with, and the only path that works for
 * endpoints without SupportRolling) or `rolling` (a new customModelId switches the live endpoint in place).
 */
export const ModelUpdateSchema = z.enum(['replace', 'rolling']);
export type ModelUpdate = z.infer<typeof ModelUpdateSchema>;

export const DEFAULT_PROBE_MAX_TOKENS = 8;
export const DEFAULT_PROBE_TIMEOUT_SECONDS = 30;

export const ReadinessProbeSchema = z.strictObject({
  prompt: z.string().min(1).max(4_000).describe('The user message sent to the endpoint.'),
  maxTokens: z.number().int().min(1).max(4_096).optional().describe(`\`max_tokens\` of the probe request; default ${DEFAULT_PROBE_MAX_TOKENS}.`),
  timeoutSeconds: z.number().int().min(1).max(300).optional().describe(`How long the probe request may take; default ${DEFAULT_PROBE_TIMEOUT_SECONDS}.`),
});
export type ReadinessProbe = z.infer<typeof ReadinessProbeSchema>;

export const LastProbeSchema = z.object({
  time: z.string().describe('RFC 3339 time the probe was sent.'),
  latencyMs: z.number().int().min(0).describe('Time until the full answer (or the failure) arrived.'),
  passed: z.boolean().describe('Whether the endpoint answered the completion.'),
  httpStatus: z.number().int().optional().describe('HTTP status of the answer (absent when no answer came).'),
  errorCode: z.string().optional().describe('The Chat API error code of a failed probe, or a network error code.'),
  servedModel: z.string().optional().describe('The `model` the answer named.'),
});
export type LastProbe = z.infer<typeof LastProbeSchema>;

export const InputsSchema = z.object({
  // No length or character limit: none is documented for endpoint names (ark-api.md §2.1 and §6).
  name: z.string().min(1).describe('Endpoint name shown in the Ark console; updates in place.'),
  customModelId: z
    .string()
    .regex(CUSTOM_MODEL_ID_PATTERN, 'must be a custom model id like cm-20240101000000-abcde')
    .describe('The custom model to serve (CustomModel.id). Changing it replaces the endpoint.'),
  modelUnitId: modelUnitIdInput(
    'The model unit that hosts the endpoint (ordered in the Ark console; its id is on the endpoint detail page). ' +
      'Changing it replaces the endpoint, unless the endpoint runs on standbyModelUnitId.',
  ),
  standbyModelUnitId: modelUnitIdInput(
    'A second model unit for replacements without downtime: a new endpoint (new weights, another project) goes on ' +
      'whichever of the two units the old one does not use, and the old one is deleted once the new one is Running ' +
      '(and answers the readinessProbe). Ark\'s units host one endpoint each, so without it a replacement deletes first.',
  ).optional(),
  // No length limit: the 300 characters ark-cli documents are for custom models, not endpoints (ark-api.md §6).
  description: z.string().optional().describe('Free text; updates in place.'),
  rateLimit: z
    .object({
      // int32 in the official Go SDK's RateLimit (ark-api.md §2.1); no other range is documented.
      rpm: z.number().int().min(0).max(INT32_MAX).describe('Requests per minute (an int32 in the API).'),
      tpm: z.number().int().min(0).max(INT32_MAX).describe('Tokens per minute (an int32 in the API).'),
    })
    .optional()
    .describe('Request quota of the endpoint; updates in place. Removing it leaves the service\'s current limits.'),
  // Any strategy: the documented ones (KNOWN_MODERATION_STRATEGIES) need not be all; check warns on others.
  moderation: z
    .string()
    .min(1)
    .optional()
    .describe(`Content moderation strategy; documented: ${KNOWN_MODERATION_STRATEGIES.join(', ')} (others are passed on with a warning). Updates in place.`),
  tags: tagsInput('Extra tags (the owner tag is added automatically); update in place.').optional(),
  projectName: z.string().min(1).optional().describe('Ark project; the service default (`default`) when absent. Changing it replaces the endpoint.'),
  createTimeoutSeconds: waitSecondsInput(`How long create (and a resumed or restarting update) waits for Running; default ${DEFAULT_CREATE_TIMEOUT_SECONDS}.`),
  deleteTimeoutSeconds: waitSecondsInput(`How long delete waits for the endpoint to stop and disappear; default ${DEFAULT_DELETE_TIMEOUT_SECONDS}.`),
  replacement: ReplacementSchema.optional().describe(
    'Order of a replacement: `delete-before-create` (the default on one unit: the endpoint is down from its delete until the new one runs) or ' +
      '`create-before-delete` (the default with standbyModelUnitId: no downtime; on one unit it needs a unit with room for two endpoints).',
  ),
  adoptExistingId: z
    .string()
    .regex(ENDPOINT_ID_PATTERN, 'must be an endpoint id like ep-20240101000000-abcde')
    .optional()
    .describe('Take over an existing endpoint (ep-…) instead of creating one; its model and model unit must match. Only read at create.'),
  owner: ownerInput('Set by the resource class: project/stack/resource name, written as an owner tag.'),
  modelUpdate: ModelUpdateSchema.optional().describe(
    'How a new customModelId reaches the endpoint: `replace` (default: a new endpoint with a new id) or `rolling` (where the endpoint reports SupportRolling, the same endpoint switches to the new model in place, traffic moving over a few percent a minute; elsewhere, as for uploaded models on model units, it is replaced, with a warning).',
  ),
  updateTimeoutSeconds: waitSecondsInput(`How long a rolling model switch may take, and then its cancel if it failed; default ${DEFAULT_ROLLING_TIMEOUT_SECONDS} each.`),
  readinessProbe: ReadinessProbeSchema.optional().describe(
    'A chat completion sent after the endpoint is Running (and after a rollout); create/update succeed only when it answers.',
  ),
});
export type Inputs = z.infer<typeof InputsSchema>;
export const INPUT_KEYS = Object.keys(InputsSchema.shape) as (keyof Inputs)[];

export const OutputsSchema = InputsSchema.extend({
  servingModelUnitId: z.string().optional().describe('The model unit the endpoint runs on: modelUnitId, or standbyModelUnitId after a replacement alternated to it.'),
  status: EndpointStatusSchema.describe('Scheduling, Running, Abnormal, Stopped or Deleting, as last read.'),
  statusReason: z.string().optional().describe('Why the endpoint is Abnormal, as the service reports it.'),
  chatBaseUrl: z.string().describe('Base URL of the OpenAI-compatible Chat API; call it with `model` = the endpoint id.'),
  createTime: z.string().describe('RFC 3339 creation time reported by Ark.'),
  updateTime: z.string().describe('RFC 3339 time of the last change reported by Ark.'),
  lastProbe: LastProbeSchema.optional().describe('The last readiness probe: time, latency, outcome.'),
});
export type Outputs = z.infer<typeof OutputsSchema>;
