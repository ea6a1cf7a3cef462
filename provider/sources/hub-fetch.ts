/** A `fetch` for @huggingface/hub's `fetch` option that ends with `signal` (the client takes no signal itself). */
export function fetchWithSignal(signal: AbortSignal | undefined): typeof fetch {
  return (input, init) => fetch(input, { ...init, ...(signal ? { signal } : {}) });
}

/** What the hub itself said a file is: the LFS sha256 on the redirect, or a regular file's ETag. */
export interface ServedIdentity {
  etag?: string;
  size?: number;
}

/**
 * A `fetch` that follows redirects itself to read the file's identity where the hub states it. The client
 * follows redirects inside `fetch` and reads `X-Linked-Etag ?? ETag` from the CDN's answer, whose ETag is the
 * CDN's own and not the sha256 on the real hub [I: xet-bridge answers with the xet hash]; so the identity is
 * taken from the first answer carrying `X-Linked-Etag`, else from the final answer's ETag (a regular file the
 * hub serves itself). Like browsers and undici, the Authorization header is not sent to another origin.
 */
export function identityTrackingFetch(base: typeof fetch): { fetch: typeof fetch; identity: () => ServedIdentity | undefined } {
  let identity: ServedIdentity | undefined;
  const tracking: typeof fetch = async (input, init) => {
    let url = new URL(input instanceof Request ? input.url : String(input));
    const headers = new Headers(init?.headers);
    for (let hops = 0; ; hops++) {
      const res = await base(url, { ...init, headers, redirect: 'manual' });
      const linked = res.headers.get('x-linked-etag');
      if (linked && !identity) identity = { etag: linked, size: number(res.headers.get('x-linked-size')) };
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) {
        if (!identity && res.ok) identity = { etag: res.headers.get('etag') ?? undefined, size: number(res.headers.get('content-range')?.split('/').pop()) };
        return res;
      }
      await res.body?.cancel();
      if (hops >= 10) throw new TypeError(`more than 10 redirects from ${url.origin}`);
      const next = new URL(location, url);
      if (next.origin !== url.origin) headers.delete('authorization');
      url = next;
    }
  };
  return { fetch: tracking, identity: () => identity };
}

function number(value: string | null | undefined): number | undefined {
  const n = value ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
