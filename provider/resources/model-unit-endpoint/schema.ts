import { z } from 'zod';
import { EndpointStatusSchema, ModerationStrategySchema } from '../../api/ark';
import { CUSTOM_MODEL_ID_PATTERN, ENDPOINT_ID_PATTERN, MODEL_UNIT_ID_PATTERN } from '../../api/ids';
import { ownerInput, tagsInput, waitSecondsInput } from '../common-inputs';

/**
 * Inputs and outputs of the `ModelUnitEndpoint` resource: an Ark inference endpoint serving a custom model on a
 * model unit. Its id (`ep-…`) is what the Chat API takes as `model`.
 */

export const DEFAULT_CREATE_TIMEOUT_SECONDS = 1_800;
export const DEFAULT_DELETE_TIMEOUT_SECONDS = 900;

export const ReplacementSchema = z.enum(['create-before-delete', 'delete-before-create']);

export const InputsSchema = z.object({
  name: z.string().min(1).max(64).describe('Endpoint name shown in the Ark console; updates in place.'),
  customModelId: z
    .string()
    .regex(CUSTOM_MODEL_ID_PATTERN, 'must be a custom model id like cm-20240101000000-abcde')
    .describe('The custom model to serve (CustomModel.id). Changing it replaces the endpoint.'),
  modelUnitId: z
    .string()
    .regex(MODEL_UNIT_ID_PATTERN, 'must be a model unit id like mu-20240101000000-abcde')
    .describe('The model unit that hosts the endpoint. Changing it replaces the endpoint.'),
  description: z.string().max(300).optional().describe('Up to 300 characters; updates in place.'),
  rateLimit: z
    .object({
      rpm: z.number().int().min(0).max(2_147_483_647).describe('Requests per minute.'),
      tpm: z.number().int().min(0).max(2_147_483_647).describe('Tokens per minute.'),
    })
    .optional()
    .describe('Request quota of the endpoint; updates in place. Removing it leaves the service\'s current limits.'),
  moderation: ModerationStrategySchema.optional().describe('Content moderation strategy (Default, Basic, Customized, Skip); updates in place.'),
  tags: tagsInput('Extra tags (the owner tag is added automatically); update in place.').optional(),
  projectName: z.string().min(1).optional().describe('Ark project; the service default (`default`) when absent. Changing it replaces the endpoint.'),
  createTimeoutSeconds: waitSecondsInput(`How long create (and a resumed or restarting update) waits for Running; default ${DEFAULT_CREATE_TIMEOUT_SECONDS}.`),
  deleteTimeoutSeconds: waitSecondsInput(`How long delete waits for the endpoint to stop and disappear; default ${DEFAULT_DELETE_TIMEOUT_SECONDS}.`),
  replacement: ReplacementSchema.optional().describe(
    'Order of a replacement: `create-before-delete` (default, no downtime; the model unit needs room for two endpoints) or `delete-before-create` (when it has not).',
  ),
  adoptExistingId: z
    .string()
    .regex(ENDPOINT_ID_PATTERN, 'must be an endpoint id like ep-20240101000000-abcde')
    .optional()
    .describe('Take over an existing endpoint (ep-…) instead of creating one; its model and model unit must match. Only read at create.'),
  owner: ownerInput('Set by the resource class: project/stack/resource name, written as an owner tag.'),
});
export type Inputs = z.infer<typeof InputsSchema>;
export const INPUT_KEYS = Object.keys(InputsSchema.shape) as (keyof Inputs)[];

export const OutputsSchema = InputsSchema.extend({
  status: EndpointStatusSchema.describe('Scheduling, Running, Abnormal, Stopped or Deleting, as last read.'),
  statusReason: z.string().optional().describe('Why the endpoint is Abnormal, as the service reports it.'),
  chatBaseUrl: z.string().describe('Base URL of the OpenAI-compatible Chat API; call it with `model` = the endpoint id.'),
  createTime: z.string().describe('RFC 3339 creation time reported by Ark.'),
  updateTime: z.string().describe('RFC 3339 time of the last change reported by Ark.'),
});
export type Outputs = z.infer<typeof OutputsSchema>;
