import { createHash } from 'node:crypto';
import type { ChatCompletionRequest, ChatMessage } from '../../provider/api/chat';

/**
 * The synthetic completions ark-local serves. No model runs: the reply says it is synthetic, names the endpoint
 * and what it serves, and is derived from a hash of the request, so the same request always gets the same reply
 * and usage. One "token" is one whitespace-separated word of the reply, so `max_tokens` truncation is exact.
 */

const FILLER = [
  'the', 'model', 'unit', 'answers', 'with', 'deterministic', 'text', 'so', 'tests', 'can', 'compare', 'replies',
  'across', 'runs', 'while', 'usage', 'figures', 'stay', 'plausible', 'for', 'each', 'prompt', 'and', 'endpoint',
];
/** Reply body length in words, before max_tokens truncation. */
export const MIN_REPLY_WORDS = 12;
export const MAX_REPLY_WORDS = 40;

export interface SyntheticReply {
  /** Reply tokens (words); join with ' ' for the text. */
  tokens: string[];
  finishReason: 'stop' | 'length';
  promptTokens: number;
}

/**
 * @param served what the endpoint serves, e.g. `cm-20250101000000-abcde (Qwen2.5-0.5B)`.
 */
export function syntheticReply(endpointId: string, served: string, request: ChatCompletionRequest): SyntheticReply {
  const seed = createHash('sha256')
    .update(JSON.stringify([endpointId, request.messages, request.temperature ?? null, request.top_p ?? null, request.stop ?? null]))
    .digest();
  const length = MIN_REPLY_WORDS + (seed.readUInt32BE(0) % (MAX_REPLY_WORDS - MIN_REPLY_WORDS + 1));
  const body: string[] = [];
  for (let i = 0; i < length; i++) body.push(FILLER[seed[(i + 4) % seed.length]! % FILLER.length]!);
  const all = ['[ark-local', 'synthetic', 'reply', 'from', endpointId, 'serving', `${served}]`, ...body];
  const limit = request.max_completion_tokens ?? request.max_tokens;
  const truncated = limit !== undefined && limit < all.length;
  return {
    tokens: truncated ? all.slice(0, limit) : all,
    finishReason: truncated ? 'length' : 'stop',
    promptTokens: estimatePromptTokens(request.messages),
  };
}

/** About four characters per token plus a few tokens of chat-template overhead per message. */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  let total = 0;
  for (const m of messages) {
    const content = m.content;
    const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => ('text' in p && typeof p.text === 'string' ? p.text : '')).join(' ') : '';
    total += 4 + Math.ceil(text.length / 4);
  }
  return total;
}
