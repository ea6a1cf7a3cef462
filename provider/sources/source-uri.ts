import { normalizePrefix, PrefixError } from '../sync/keys';
import { hubUriError, isHubUri, parseHubUri } from './hub-uri';

/** Where a TosModelDir's weights come from, as its `source` input names them. */
export type ModelSourceSpec =
  | { kind: 'local'; path: string }
  | { kind: 'tos'; bucket: string; prefix: string }
  | { kind: 'hub'; repo: string; revision: string };

export const TOS_SOURCE_SCHEME = 'tos://';

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The source an input names, or the reason it names none. Anything without a known scheme is a local path. */
export function parseModelSource(source: string): ModelSourceSpec | { error: string } {
  if (source.startsWith(TOS_SOURCE_SCHEME)) return parseTosSource(source);
  if (isHubUri(source)) {
    const hub = parseHubUri(source);
    return hub ? { kind: 'hub', ...hub } : { error: hubUriError(source) };
  }
  return { kind: 'local', path: source };
}

function parseTosSource(source: string): ModelSourceSpec | { error: string } {
  const rest = source.slice(TOS_SOURCE_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const example = 'e.g. "tos://ml-artifacts/runs/42/final/"';
  if (!BUCKET.test(bucket)) return { error: `expected tos://<bucket>/<prefix>/ with a TOS bucket name (3-63 characters of a-z, 0-9 and "-"), found "${source}"; ${example}` };
  try {
    return { kind: 'tos', bucket, prefix: normalizePrefix(slash < 0 ? '' : rest.slice(slash + 1)) };
  } catch (error) {
    if (!(error instanceof PrefixError)) throw error;
    return { error: `expected tos://<bucket>/<prefix>/ naming a folder of the bucket, found "${source}" (${error.message}); ${example}` };
  }
}
