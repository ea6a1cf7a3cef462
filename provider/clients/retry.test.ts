import { DEFAULT_RETRY_POLICY, type RetryDecision, classifyNetworkError, fullJitterDelay, isRetryableHttpStatus, withRetry } from './retry';

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), sleeps };
}

const policy = { maxAttempts: 3, maxThrottleAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 };

describe('fullJitterDelay', () => {
  it.each([
    [0, 0.999, 99],
    [1, 0.999, 199],
    [3, 0.5, 400],
    [10, 0.999, 999], // capped at maxDelayMs
    [0, 0, 0],
  ])('retry %i with random %f waits %i ms', (retry, random, expected) => {
    expect(fullJitterDelay(retry, policy, () => random)).toBe(expected);
  });
});

describe('withRetry', () => {
  function failing(errors: Error[]) {
    let calls = 0;
    return {
      op: async () => {
        const error = errors[calls++];
        if (error) throw error;
        return `ok after ${calls}`;
      },
      calls: () => calls,
    };
  }
  const byMessage = (e: unknown): RetryDecision => (e as Error).message as RetryDecision;

  it('returns the first success and sleeps full-jitter delays between attempts', async () => {
    const clock = fakeClock();
    const f = failing([new Error('retry'), new Error('retry')]);
    await expect(withRetry(f.op, { policy, classify: byMessage, clock, random: () => 0.5 })).resolves.toBe('ok after 3');
    expect(clock.sleeps).toEqual([50, 100]);
  });

  it('stops at maxAttempts for ordinary retryable failures and throws the last error', async () => {
    const f = failing([new Error('retry'), new Error('retry'), new Error('retry'), new Error('retry')]);
    await expect(withRetry(f.op, { policy, classify: byMessage, clock: fakeClock() })).rejects.toThrow('retry');
    expect(f.calls()).toBe(3);
  });

  it('allows the larger throttling budget', async () => {
    const f = failing(Array.from({ length: 5 }, () => new Error('retry-throttled')));
    await expect(withRetry(f.op, { policy, classify: byMessage, clock: fakeClock() })).resolves.toBe('ok after 6');
  });

  it('counts throttles and errors against separate budgets', async () => {
    const f = failing([new Error('retry-throttled'), new Error('retry'), new Error('retry-throttled'), new Error('retry')]);
    await expect(withRetry(f.op, { policy, classify: byMessage, clock: fakeClock() })).resolves.toBe('ok after 5');
  });

  it('never retries a failure classified as fail', async () => {
    const f = failing([new Error('fail')]);
    await expect(withRetry(f.op, { policy, classify: byMessage, clock: fakeClock() })).rejects.toThrow('fail');
    expect(f.calls()).toBe(1);
  });

  it('has a default policy with a larger throttling budget than the error budget', () => {
    expect(DEFAULT_RETRY_POLICY.maxThrottleAttempts).toBeGreaterThan(DEFAULT_RETRY_POLICY.maxAttempts);
  });
});

describe('classification helpers', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    ['ECONNREFUSED', { code: 'ECONNREFUSED', maybeSent: false }],
    ['ENOTFOUND', { code: 'ENOTFOUND', maybeSent: false }],
    ['ECONNRESET', { code: 'ECONNRESET', maybeSent: true }],
    ['ETIMEDOUT', { code: 'ETIMEDOUT', maybeSent: true }],
  ])('%s', (code, expected) => expect(classifyNetworkError(errno(code))).toEqual(expected));

  it('treats "socket hang up" as a maybe-sent reset and ignores other errors', () => {
    expect(classifyNetworkError(new Error('socket hang up'))).toEqual({ code: 'ECONNRESET', maybeSent: true });
    expect(classifyNetworkError(new TypeError('x is not a function'))).toBeUndefined();
    expect(classifyNetworkError('ECONNRESET')).toBeUndefined();
  });

  it.each([
    [429, true],
    [500, true],
    [503, true],
    [400, false],
    [404, false],
    [200, false],
  ])('HTTP %i retryable: %s', (status, expected) => expect(isRetryableHttpStatus(status)).toBe(expected));
});
