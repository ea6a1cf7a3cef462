import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline, Transform, type Readable } from 'node:stream';
import { z } from 'zod';
import type { ServiceName } from './service';

/**
 * Fault injection, configured through `/_ark-local/faults`. A rule matches by service and operation (the Ark
 * Action, the TOS operation such as `PutObject` or `UploadPart`, or `ChatCompletions`), fires with probability
 * `rate`, and expires after `count` firings when given, so a test can ask for "exactly the next two
 * CreateEndpoint calls are throttled".
 *
 * Kinds:
 * - `throttle`: the service's own throttling error (Ark `FlowLimitExceeded` 429, TOS `TooManyRequests` 429,
 *   Chat `RateLimitExceeded` 429).
 * - `server-error`: the service's own 5xx envelope.
 * - `drop-connection`: the socket is destroyed before the request is handled; nothing changes.
 * - `drop-response`: the request IS handled (state changes), then the socket is destroyed instead of
 *   answering: the lost-response case that must never create a second endpoint.
 * - `latency`: the request is delayed by `latencyMs`, then handled normally.
 * - `corrupt-body` (TOS only): one bit of the request body is flipped on its way in, as a faulty link or proxy
 *   would; the request is then handled normally, so TOS stores the damaged bytes and reports their CRC64 (a
 *   client that declared a checksum gets BadDigest instead). What a client's own end-to-end CRC check must catch.
 * - `strip-fields` (Ark only): the request is handled normally, and the answer's `Result` leaves out `fields`
 *   (dotted paths, e.g. `CreateTime` or `ModelReference.CustomModelId`; in a page, from every item), as an Ark
 *   whose answers differ from the reader's contract would send them. State never changes.
 * - `truncate-body`: the answer's headers and its first `bytes` body bytes are sent, then the connection is
 *   closed: a download cut mid-body (a body no longer than `bytes` is sent whole).
 *
 * The hub (`/_hub`) names its operations `ModelInfo`, `ListTree`, `Resolve`, `CdnGet` and `WhoAmI`.
 */
export const FaultKindSchema = z.enum(['throttle', 'server-error', 'drop-connection', 'drop-response', 'latency', 'corrupt-body', 'strip-fields', 'truncate-body']);
export type FaultKind = z.infer<typeof FaultKindSchema>;

export const FaultRuleInputSchema = z
  .strictObject({
    service: z.enum(['ark', 'tos', 'chat', 'hub', '*']).default('*'),
    operation: z.string().min(1).default('*'),
    kind: FaultKindSchema,
    rate: z.number().min(0).max(1).default(1),
    count: z.number().int().positive().optional(),
    /** Matching requests let through untouched before the rule starts firing ("fail after N parts"). */
    after: z.number().int().min(0).default(0),
    latencyMs: z.number().int().min(0).max(600_000).default(0),
    /** For `strip-fields`: the Result fields left out. */
    fields: z.array(z.string().min(1)).optional(),
    /** For `truncate-body`: body bytes sent before the connection is closed. */
    bytes: z.number().int().min(0).default(0),
  })
  .refine((rule) => rule.kind !== 'corrupt-body' || rule.service === 'tos', {
    message: 'corrupt-body damages object and part bodies: expected service "tos"',
    path: ['service'],
  })
  .refine((rule) => rule.kind !== 'strip-fields' || (rule.service === 'ark' && (rule.fields?.length ?? 0) > 0), {
    message: 'strip-fields changes Ark answers: expected service "ark" and a non-empty "fields"',
    path: ['fields'],
  });
export type FaultRuleInput = z.input<typeof FaultRuleInputSchema>;
export type FaultRule = z.infer<typeof FaultRuleInputSchema> & { id: string; fired: number; passed: number };

export class FaultInjector {
  private rules: FaultRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(input: FaultRuleInput): FaultRule {
    const rule: FaultRule = { ...FaultRuleInputSchema.parse(input), id: randomUUID(), fired: 0, passed: 0 };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  clear(): void {
    this.rules = [];
  }

  /** The first matching rule that fires for this request, counting the firing. */
  pick(service: ServiceName, operation: string): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.service !== '*' && rule.service !== service) continue;
      if (rule.operation !== '*' && rule.operation !== operation) continue;
      if (rule.count !== undefined && rule.fired >= rule.count) continue;
      if (rule.passed < rule.after) {
        rule.passed += 1;
        continue;
      }
      if (this.random() >= rule.rate) continue;
      rule.fired += 1;
      return { ...rule };
    }
    return undefined;
  }
}

/** How a service renders the two faults that answer with an error of its own envelope. */
export type FaultErrorRenderer = (res: ServerResponse, kind: 'throttle' | 'server-error') => void;

/**
 * Runs `handle` under whatever fault the injector picks for (service, operation). Services call this once they
 * know the operation name, so faults can target one action precisely. `handle` reads the request body from
 * the stream it is given when one is (a fault changed the body), else from `req`; a fault that changes the
 * answer (`strip-fields`) is handed to it to apply.
 */
export async function runWithFaults(
  faults: FaultInjector,
  service: ServiceName,
  operation: string,
  req: IncomingMessage,
  res: ServerResponse,
  renderError: FaultErrorRenderer,
  handle: (body?: Readable, answerFault?: FaultRule) => Promise<void>,
): Promise<void> {
  const fault = faults.pick(service, operation);
  if (!fault) return handle();
  switch (fault.kind) {
    case 'latency':
      // Handled after the delay even if the client gave up meanwhile (a request can succeed with its answer
      // lost); unref'd, so a pending delay never keeps a finished test run or a closed ark-local alive.
      await new Promise((resolve) => setTimeout(resolve, fault.latencyMs).unref());
      return handle();
    case 'throttle':
    case 'server-error':
      req.resume();
      return renderError(res, fault.kind);
    case 'drop-connection':
      req.socket.destroy();
      return;
    case 'drop-response':
      swallowResponse(req, res);
      return handle();
    case 'corrupt-body':
      return handle(withFirstBitFlipped(req));
    case 'strip-fields':
      return handle(undefined, fault);
    case 'truncate-body':
      truncateResponse(res, fault.bytes);
      return handle();
  }
}

/** `result` without the dotted `fields`; a page loses them from every item. */
export function stripFields(result: unknown, fields: readonly string[]): unknown {
  const copy = structuredClone(result) as Record<string, unknown>;
  const targets = Array.isArray(copy.Items) ? (copy.Items as Record<string, unknown>[]) : [copy];
  for (const target of targets) {
    for (const field of fields) {
      const path = field.split('.');
      const parent = path.slice(0, -1).reduce<unknown>((o, key) => (o as Record<string, unknown> | undefined)?.[key], target);
      if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[path[path.length - 1]!];
    }
  }
  return copy;
}

/** `req`'s body with the lowest bit of its first byte flipped; an error or abort of `req` ends it too. */
function withFirstBitFlipped(req: IncomingMessage): Readable {
  let flipped = false;
  const flip = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (flipped || chunk.length === 0) return done(null, chunk);
      flipped = true;
      const damaged = Buffer.from(chunk);
      damaged[0] = damaged[0]! ^ 1;
      done(null, damaged);
    },
  });
  pipeline(req, flip, () => undefined);
  return flip;
}

/** Makes `res` discard everything it is given and destroy the connection when the handler ends it. */
function swallowResponse(req: IncomingMessage, res: ServerResponse): void {
  const silent = res as unknown as Record<string, unknown>;
  silent.writeHead = () => res;
  silent.setHeader = () => res;
  silent.write = () => true;
  silent.end = () => {
    req.socket.destroy();
    return res;
  };
}

/**
 * Makes `res` send its headers and at most `limit` body bytes, then close the connection (FIN, so the bytes
 * written reach the client, which then sees a body shorter than its Content-Length). A body that fits is sent whole.
 */
function truncateResponse(res: ServerResponse, limit: number): void {
  const write = res.write.bind(res) as (chunk: Buffer, done?: () => void) => boolean;
  const end = res.end.bind(res) as () => ServerResponse;
  let sent = 0;
  let cut = false;
  const cutting = res as unknown as Record<string, unknown>;
  cutting.write = (chunk: string | Uint8Array) => {
    if (cut) return true;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (sent + bytes.length <= limit) {
      sent += bytes.length;
      return write(bytes);
    }
    cut = true;
    write(bytes.subarray(0, limit - sent), () => res.socket?.end());
    return true;
  };
  cutting.end = (chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') (cutting.write as (c: string | Uint8Array) => boolean)(chunk as string | Uint8Array);
    return cut ? res : end();
  };
}
