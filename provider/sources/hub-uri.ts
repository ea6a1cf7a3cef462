/** Scheme of a model source on a Hugging Face–compatible hub: `hf://owner/name` or `hf://owner/name@revision`. */
export const HUB_URI_SCHEME = 'hf://';

/** The revision a source without `@revision` deploys: the hub's default branch. */
export const DEFAULT_HUB_REVISION = 'main';

// The hub's repo names: letters, digits, '.', '_' and '-', not starting with a separator [I].
const NAME = '[A-Za-z0-9][A-Za-z0-9._-]*';
// Branches, tags (`v1.0`), commits, and refs such as `refs/pr/1`; no spaces, no `..`, no trailing '/'.
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/;
const URI = new RegExp(`^hf://(${NAME}/${NAME})(?:@(.+))?$`);

export function isHubUri(s: string): boolean {
  return s.startsWith(HUB_URI_SCHEME);
}

/** `{ repo: 'owner/name', revision }` of a well-formed hub source, else undefined (see hubUriError). */
export function parseHubUri(s: string): { repo: string; revision: string } | undefined {
  const m = URI.exec(s);
  if (!m) return undefined;
  const revision = m[2] ?? DEFAULT_HUB_REVISION;
  if (!REVISION.test(revision) || revision.includes('..') || revision.endsWith('/')) return undefined;
  if (m[1]!.split('/').some((part) => part.includes('..'))) return undefined;
  return { repo: m[1]!, revision };
}

/** What is wrong with a source that is not a well-formed hub URI, as one line a user can act on. */
export function hubUriError(s: string): string {
  const expected = 'expected hf://owner/name or hf://owner/name@revision (a branch, tag or 40-hex commit; default main)';
  if (!isHubUri(s)) return `${expected}; found "${s}", which does not start with hf://`;
  const [repo = '', ...revision] = s.slice(HUB_URI_SCHEME.length).split('@');
  if (repo.split('/').length !== 2) return `${expected}; found "${s}", whose repo "${repo}" is not owner/name`;
  if (!new RegExp(`^${NAME}/${NAME}$`).test(repo) || repo.includes('..')) {
    return `${expected}; found "${s}", whose repo "${repo}" has characters other than letters, digits, . _ -`;
  }
  if (revision.length > 1) return `${expected}; found "${s}", which has more than one @`;
  return `${expected}; found "${s}", whose revision "${revision[0] ?? ''}" is empty or has characters other than letters, digits, . _ - /`;
}
