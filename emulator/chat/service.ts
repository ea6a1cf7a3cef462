import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CHAT_COMPLETIONS_PATH,
  ChatCompletionRequestSchema,
  ChatErrors,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatErrorCode,
} from '../../provider/api/chat';
import { compactTimestamp } from '../../provider/api/ids';
import type { Endpoint } from '../../provider/api/ark';
import { runWithFaults, type FaultInjector } from '../faults';
import { BodyTooLargeError, header, readBody, sendJson } from '../http';
import type { EmulatorService } from '../service';
import type { Clock } from '../state/transitions';
import type { ApiKeyRecord } from '../state/control-plane';
import { EndpointRateLimiter } from './rate-limit';
import { syntheticReply, type SyntheticReply } from './synthetic';

/** The static data-plane key ark-local accepts when `--api-key` is not given (documented in api-assumptions). */
export const DEFAULT_CHAT_API_KEY = 'ark-local-api-key';
/** Largest chat request body accepted. */
export const MAX_CHAT_BODY_BYTES = 4 * 1024 * 1024;

export interface ChatServiceOptions {
  /** Static keys valid for every endpoint (the console-created "API Key"). */
  staticKeys: readonly string[];
  findApiKey(key: string): ApiKeyRecord | undefined;
  findEndpoint(id: string): Endpoint | undefined;
  /**
   * What serves this request to `endpoint`: during a rollout the old or the new model, in the rollout's
   * proportion, so one call decides both. `model` is the reply's `model` (the model served, not the endpoint id,
   * as the real service answers); `description` goes into the synthetic reply, e.g. `cm-… (Qwen2.5-0.5B)`.
   */
  serve(endpoint: Endpoint): { model: string; description: string };
  faults: FaultInjector;
  clock: Clock;
}

class ChatApiError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    readonly detail?: string,
    readonly param?: string,
    readonly subject?: string,
  ) {
    super(detail ?? code);
  }
}

/**
 * The OpenAI-compatible Chat API of an endpoint: `POST /api/v3/chat/completions` with `Authorization: Bearer`.
 * Errors use the documented `{"error":{code,message,param?,type}}` body and every response carries X-Request-Id.
 */
export function createChatService(opts: ChatServiceOptions): EmulatorService {
  const limiter = new EndpointRateLimiter(opts.clock);
  return {
    name: 'chat',
    async handle(req, res, url) {
      const requestId = compactTimestamp(new Date(opts.clock())) + randomBytes(10).toString('hex');
      try {
        if (url.pathname !== CHAT_COMPLETIONS_PATH) {
          throw new ChatApiError('InvalidParameter', `ark-local serves only POST ${CHAT_COMPLETIONS_PATH}, not ${req.method} ${url.pathname}.`, 'path');
        }
        if (req.method !== 'POST') throw new ChatApiError('InvalidParameter', `Chat completions are POST, not ${req.method}.`, 'method');
        await runWithFaults(
          opts.faults,
          'chat',
          'ChatCompletions',
          req,
          res,
          (r, kind) => sendChatError(r, requestId, new ChatApiError(kind === 'throttle' ? 'RateLimitExceeded' : 'InternalServiceError')),
          () => complete(opts, limiter, req, res, requestId),
        );
      } catch (err) {
        if (res.headersSent) return;
        sendChatError(res, requestId, err instanceof ChatApiError ? err : new ChatApiError('InternalServiceError', (err as Error)?.message));
      }
    },
  };
}

async function complete(opts: ChatServiceOptions, limiter: EndpointRateLimiter, req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
  const key = bearerKey(req);
  const nowSeconds = Math.floor(opts.clock() / 1000);
  const temp = key ? opts.findApiKey(key) : undefined;
  const isStatic = key !== undefined && opts.staticKeys.includes(key);
  if (!key) throw new ChatApiError('AuthenticationError', 'The request has no "Authorization: Bearer <API key>" header.');
  if (!isStatic && !temp) throw new ChatApiError('AuthenticationError', 'The API key is not one ark-local issued (GetApiKey) or was configured with (--api-key).');
  if (temp && temp.expiredTime <= nowSeconds) {
    throw new ChatApiError('AuthenticationError', `The API key expired at ${new Date(temp.expiredTime * 1000).toISOString()}.`);
  }

  const request = await parseRequest(req, res);
  const endpoint = opts.findEndpoint(request.model);
  // A key scoped to other endpoints sees this one as missing, as the real message says ("or you do not have access").
  const inScope = isStatic || (temp !== undefined && temp.resourceIds.includes(request.model));
  if (!endpoint || !inScope) throw new ChatApiError('InvalidEndpointOrModel.NotFound', undefined, 'model', request.model);
  if (endpoint.Status !== 'Running') {
    throw new ChatApiError('InvalidEndpoint.ClosedEndpoint', `The endpoint ${endpoint.Id} is ${endpoint.Status}; it serves requests only when Running.`, 'model');
  }

  // "模型单元不支持与结构化输出功能一起使用" [C-mirror F2]; the error code is ours [I].
  const format = request.response_format?.type;
  if (endpoint.ModelUnitId && format !== undefined && format !== 'text') {
    throw new ChatApiError('InvalidParameter', `The endpoint ${endpoint.Id} runs on a model unit, which does not support structured output (response_format ${format}).`, 'response_format');
  }

  const served = opts.serve(endpoint);
  const reply = syntheticReply(endpoint.Id, served.description, request);
  const verdict = limiter.admit(endpoint.Id, endpoint.RateLimit, usage(reply).total_tokens);
  if (verdict !== 'ok') {
    const which = verdict === 'rpm' ? `RPM ${endpoint.RateLimit!.Rpm}` : `TPM ${endpoint.RateLimit!.Tpm}`;
    const code = verdict === 'rpm' ? 'RateLimitExceeded.EndpointRPMExceeded' : 'RateLimitExceeded.EndpointTPMExceeded';
    throw new ChatApiError(code, `Its RateLimit allows ${which} per 60 s window; retry later or raise rateLimit.`, undefined, endpoint.Id);
  }
  const created = Math.floor(opts.clock() / 1000);
  if (request.stream) return stream(res, requestId, created, served.model, reply, request.stream_options?.include_usage === true);
  const body: ChatCompletion = {
    id: requestId,
    object: 'chat.completion',
    created,
    model: served.model,
    choices: [{ index: 0, message: { role: 'assistant', content: reply.tokens.join(' ') }, finish_reason: reply.finishReason, logprobs: null }],
    usage: usage(reply),
  };
  sendJson(res, 200, body, { 'x-request-id': requestId });
}

/**
 * SSE: a role chunk, one chunk per token, a finish chunk, the usage chunk when asked, then `[DONE]`. With
 * include_usage every other chunk carries `usage: null`, as OpenAI-compatible services send it.
 */
function stream(res: ServerResponse, requestId: string, created: number, model: string, reply: SyntheticReply, includeUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': requestId });
  const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: ChatCompletionChunk['choices'][number]['finish_reason']): ChatCompletionChunk => ({
    id: requestId,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(includeUsage ? { usage: null } : {}),
  });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  send(chunk({ role: 'assistant', content: '' }, null));
  reply.tokens.forEach((token, i) => send(chunk({ content: i === 0 ? token : ` ${token}` }, null)));
  send(chunk({}, reply.finishReason));
  if (includeUsage) send({ id: requestId, object: 'chat.completion.chunk', created, model, choices: [], usage: usage(reply) });
  res.end('data: [DONE]\n\n');
}

async function parseRequest(req: IncomingMessage, res: ServerResponse): Promise<ChatCompletionRequest> {
  let body: Buffer;
  try {
    body = await readBody(req, MAX_CHAT_BODY_BYTES);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    // Stop reading the rest: Node closes the connection once the answer is written.
    res.setHeader('connection', 'close');
    throw new ChatApiError('InvalidParameter', `The request body is larger than ${MAX_CHAT_BODY_BYTES} bytes.`, 'body');
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ChatApiError('InvalidParameter', `The body is not valid JSON: ${(err as Error).message}`, 'body');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ChatApiError('InvalidParameter', 'The body must be a JSON object.', 'body');
  const parsed = ChatCompletionRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = issue.path.map(String).join('.');
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    throw new ChatApiError(missing ? 'MissingParameter' : 'InvalidParameter', `Parameter "${param}": ${issue.message}`, param);
  }
  return parsed.data;
}

function bearerKey(req: IncomingMessage): string | undefined {
  const value = header(req, 'authorization');
  const m = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return m?.[1];
}

function usage(reply: SyntheticReply): ChatCompletion['usage'] {
  const completion = reply.tokens.length;
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: completion,
    total_tokens: reply.promptTokens + completion,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

/** The documented message (with the request id appended, as the real service does) plus our detail. */
function sendChatError(res: ServerResponse, requestId: string, err: ChatApiError): void {
  const spec = ChatErrors[err.code];
  const base = spec.message.replace('%s', err.subject ?? '');
  const message = `${base}${err.detail ? ` ${err.detail}` : ''} Request ID: ${requestId}`;
  const error = { code: err.code, message, ...(err.param ? { param: err.param } : {}), type: spec.type };
  sendJson(res, spec.status, { error }, { 'x-request-id': requestId });
}
