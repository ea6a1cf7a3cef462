import type { ServerResponse } from 'node:http';

/**
 * An error answer in the hub's shape: `X-Error-Code` (when the hub sets one) and `X-Error-Message` headers, which
 * the clients classify by, and a body that is JSON `{"error": …}` on `/api/*` and plain text on file routes.
 */
export class HubHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A token ark-local does not know [C: huggingface_hub keeps this message apart from "repo not found"]. */
export const invalidCredentials = () => new HubHttpError(401, 'Invalid credentials in Authorization header');

/**
 * A repo the caller may not see. The hub does not say whether it exists: anonymous callers get 401 without a code,
 * signed-in ones 404 RepoNotFound [I: observed answers; huggingface_hub treats both as RepositoryNotFoundError].
 */
export function repoNotFound(anonymous: boolean): HubHttpError {
  return anonymous
    ? new HubHttpError(401, 'Invalid username or password.', undefined, { 'www-authenticate': 'Bearer realm="Authentication required", charset="UTF-8"' })
    : new HubHttpError(404, 'Repository not found', 'RepoNotFound');
}

export const revisionNotFound = (revision: string) => new HubHttpError(404, `Invalid rev id: ${revision}`, 'RevisionNotFound');

export const entryNotFound = (commit: string) => new HubHttpError(404, 'Entry not found', 'EntryNotFound', { 'x-repo-commit': commit });

export function sendHubError(res: ServerResponse, err: HubHttpError, json: boolean): void {
  const body = json ? JSON.stringify({ error: err.message }) : err.message;
  res.writeHead(err.status, {
    'content-type': json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...(err.code ? { 'x-error-code': err.code } : {}),
    'x-error-message': err.message,
    ...err.headers,
  });
  res.end(body);
}
