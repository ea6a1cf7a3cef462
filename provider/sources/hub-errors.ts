import { HubApiError } from '@huggingface/hub';

/**
 * A hub failure as one line naming the repo and what to fix. Never carries the token: messages are built here
 * from the status and the hub's own words, any occurrence of the token is masked, and no cause is attached.
 */
export class HubError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'HubError';
  }
}

/** The hub served a file whose identity is not the one its listing gave at the pinned commit. */
export class HubSourceChangedError extends Error {
  constructor(
    readonly source: string,
    readonly path: string,
    readonly listed: string,
    readonly served: string,
  ) {
    super(`${source}: ${path} changed on the hub: listed as ${listed}, served as ${served}; resolve the revision again`);
    this.name = 'HubSourceChangedError';
  }
}

const TOKEN_SETTINGS = 'HF_TOKEN or ark:hubToken';

export interface HubErrorContext {
  /** `hf://owner/name@revision`. */
  source: string;
  hubUrl: string;
  token?: string;
  /** What was being done, e.g. `listing files`, `reading config.json`. */
  doing: string;
}

/** Any failure of a hub call (the client's HubApiError, a network error, a bad token format) as a HubError. */
export function toHubError(err: unknown, ctx: HubErrorContext): HubError {
  if (err instanceof HubError) return err;
  const at = `${ctx.source} (hub ${ctx.hubUrl}), ${ctx.doing}`;
  if (err instanceof HubApiError) return new HubError(mask(`${at}: ${describeStatus(err, ctx)}`, ctx.token), err.statusCode);
  if (err instanceof TypeError && /must start with 'hf_'/.test(err.message)) {
    return new HubError(`${at}: the hub token (${TOKEN_SETTINGS}) must start with hf_`);
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return new HubError(mask(`${at}: cannot reach the hub: ${detail}`, ctx.token));
}

function describeStatus(err: HubApiError, ctx: HubErrorContext): string {
  const said = hubWords(err);
  switch (err.statusCode) {
    case 401:
      if (/Invalid credentials/i.test(said)) return `the hub refused the token (401 ${said}); set a valid one in ${TOKEN_SETTINGS}`;
      return ctx.token
        ? `401 ${said}: the repo does not exist or the token cannot read it (${TOKEN_SETTINGS})`
        : `401 ${said}: the repo does not exist, or it is private or gated and needs a token: set ${TOKEN_SETTINGS}`;
    case 403:
      return `403 ${said}: the token (${TOKEN_SETTINGS}) may not read this repo (a gated repo whose access was not granted?)`;
    case 404:
      if (/Invalid rev id/i.test(said)) return `no such revision (404 ${said})`;
      if (/Repository not found/i.test(said)) return `no such repo, or the token cannot read it (404 ${said})`;
      return `not found (404 ${said})`;
    default:
      return `the hub answered ${err.statusCode} ${said}`;
  }
}

/** The hub's own message: the JSON `error` or the plain-text body, without the client's URL trailer. */
function hubWords(err: HubApiError): string {
  const data = err.data as { error?: unknown; message?: unknown } | undefined;
  const words = typeof data?.error === 'string' ? data.error : typeof data?.message === 'string' ? data.message : '';
  return words.replace(/\s+/g, ' ').trim().slice(0, 200) || 'with no message';
}

export function mask(message: string, token: string | undefined): string {
  return token ? message.split(token).join('***') : message;
}
