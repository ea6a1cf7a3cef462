/** The hub operations ark-local serves (also the names fault rules target with service 'hub'). */
export type HubRoute =
  | { op: 'WhoAmI' }
  | { op: 'ModelInfo'; repo: string; revision: string }
  | { op: 'ListTree'; repo: string; revision: string; path: string }
  | { op: 'Resolve'; repo: string; revision: string; path: string }
  | { op: 'CdnGet'; sha256: string };

/**
 * Matches a path below the hub prefix. Each segment is percent-decoded: clients encode the revision (`refs%2Fpr%2F1`)
 * and may encode file names.
 */
export function matchHubRoute(method: string, pathname: string): HubRoute | undefined {
  const read = method === 'GET' || method === 'HEAD';
  if (!read) return undefined;
  let segments: string[];
  try {
    segments = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [a, b, c, d, e, ...rest] = segments;
  if (method === 'GET' && a === 'api' && b === 'whoami-v2' && segments.length === 2) return { op: 'WhoAmI' };
  if (method === 'GET' && a === 'api' && b === 'models' && c && d && e === 'revision' && rest.length === 1 && rest[0]) {
    return { op: 'ModelInfo', repo: `${c}/${d}`, revision: rest[0] };
  }
  if (method === 'GET' && a === 'api' && b === 'models' && c && d && e === 'tree' && rest[0]) {
    return { op: 'ListTree', repo: `${c}/${d}`, revision: rest[0], path: rest.slice(1).join('/').replace(/\/+$/, '') };
  }
  if (a === '_cdn' && b && /^[0-9a-f]{64}$/.test(b) && segments.length === 2) return { op: 'CdnGet', sha256: b };
  if (a && b && c === 'resolve' && d && e && a !== 'api' && a !== '_cdn') {
    return { op: 'Resolve', repo: `${a}/${b}`, revision: d, path: [e, ...rest].join('/') };
  }
  return undefined;
}
