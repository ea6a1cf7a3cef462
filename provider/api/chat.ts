import { z } from 'zod';

/**
 * The OpenAI-compatible Chat API an endpoint serves (`POST {base}/chat/completions`, reference ark-api.md §5).
 * Requests are validated leniently (unknown fields are ignored, as OpenAI-compatible servers do); responses
 * are built to these schemas.
 */
export const CHAT_BASE_PATH = '/api/v3';
export const CHAT_COMPLETIONS_PATH = `${CHAT_BASE_PATH}/chat/completions`;

const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() });
const OtherPartSchema = z.object({ type: z.string() }).loose();
export const MessageContentSchema = z.union([z.string(), z.array(z.union([TextPartSchema, OtherPartSchema]))]);

export const ChatMessageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
    content: MessageContentSchema.nullable().optional(),
    name: z.string().optional(),
    tool_call_id: z.string().optional(),
  })
  .loose();
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const ChatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(ChatMessageSchema).min(1),
    max_tokens: z.number().int().positive().optional(),
    max_completion_tokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.union([z.string(), z.array(z.string())]).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
    user: z.string().optional(),
    /** Structured output (`json_object`, `json_schema`); model-unit endpoints refuse it (ark-api-2026.md F2). */
    response_format: z.object({ type: z.string() }).loose().nullable().optional(),
  })
  .loose();
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

export const UsageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_tokens_details: z.object({ cached_tokens: z.number().int() }).optional(),
  completion_tokens_details: z.object({ reasoning_tokens: z.number().int() }).optional(),
});

export const FinishReasonSchema = z.enum(['stop', 'length', 'tool_calls', 'content_filter']);

export const ChatCompletionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string() }),
      finish_reason: FinishReasonSchema,
      logprobs: z.null(),
    }),
  ),
  usage: UsageSchema,
});
export type ChatCompletion = z.infer<typeof ChatCompletionSchema>;

export const ChatCompletionChunkSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }),
      finish_reason: FinishReasonSchema.nullable(),
    }),
  ),
  usage: UsageSchema.nullable().optional(),
});
export type ChatCompletionChunk = z.infer<typeof ChatCompletionChunkSchema>;

/** `{"error": {code, message, param?, type}}` plus the request id in the `X-Request-Id` header. */
export const ChatErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), param: z.string().optional(), type: z.string() }),
});
export type ChatError = z.infer<typeof ChatErrorSchema>;

export const ChatErrors = {
  MissingParameter: { status: 400, type: 'BadRequest', message: 'The request failed because it is missing one or multiple required parameters.' },
  InvalidParameter: { status: 400, type: 'BadRequest', message: 'One or more parameters specified in the request are not valid.' },
  'InvalidEndpoint.ClosedEndpoint': { status: 400, type: 'BadRequest', message: 'The request targeted an endpoint that is currently closed or temporarily unavailable.' },
  AuthenticationError: { status: 401, type: 'Unauthorized', message: 'The API key or AK/SK in the request is missing or invalid.' },
  'InvalidEndpointOrModel.NotFound': { status: 404, type: 'NotFound', message: 'The model or endpoint %s does not exist or you do not have access to it.' },
  RateLimitExceeded: { status: 429, type: 'TooManyRequests', message: 'The request has exceeded the rate limit of the endpoint.' },
  'RateLimitExceeded.EndpointRPMExceeded': { status: 429, type: 'TooManyRequests', message: 'The request has exceeded the RPM (requests per minute) limit of the endpoint %s.' },
  'RateLimitExceeded.EndpointTPMExceeded': { status: 429, type: 'TooManyRequests', message: 'The request has exceeded the TPM (tokens per minute) limit of the endpoint %s.' },
  InternalServiceError: { status: 500, type: 'InternalServerError', message: 'The service encountered an unexpected internal error.' },
} as const;
export type ChatErrorCode = keyof typeof ChatErrors;
