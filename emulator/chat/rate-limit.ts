import type { RateLimit } from '../../provider/api/ark';

/**
 * An endpoint's request quota (`RateLimit{Rpm, Tpm}` from Create/UpdateEndpoint), enforced over a sliding
 * 60-second window per endpoint, as the real data plane refuses calls beyond it with 429
 * `RateLimitExceeded.EndpointRPMExceeded` / `…EndpointTPMExceeded`. A limit of 0 or an absent RateLimit means
 * no limit here (the service default is not documented; see docs/api-assumptions.md).
 */
export const RATE_WINDOW_MS = 60_000;

export type RateVerdict = 'ok' | 'rpm' | 'tpm';

interface Admitted {
  at: number;
  tokens: number;
}

export class EndpointRateLimiter {
  private readonly windows = new Map<string, Admitted[]>();

  constructor(private readonly clock: () => number) {}

  /** Admits one request of `tokens` total tokens to `endpointId` unless it would exceed the endpoint's limits. */
  admit(endpointId: string, limit: RateLimit | undefined, tokens: number): RateVerdict {
    const now = this.clock();
    const window = (this.windows.get(endpointId) ?? []).filter((entry) => now - entry.at < RATE_WINDOW_MS);
    this.windows.set(endpointId, window);
    if (limit?.Rpm && window.length + 1 > limit.Rpm) return 'rpm';
    if (limit?.Tpm && window.reduce((sum, entry) => sum + entry.tokens, 0) + tokens > limit.Tpm) return 'tpm';
    window.push({ at: now, tokens });
    return 'ok';
  }
}
