import { EndpointRateLimiter, RATE_WINDOW_MS } from './rate-limit';

describe('EndpointRateLimiter', () => {
  let now = 1_000_000;
  const limiter = () => new EndpointRateLimiter(() => now);

  it('refuses the request beyond Rpm within a minute, and admits again once the window moved on', () => {
    const l = limiter();
    expect(l.admit('ep-a', { Rpm: 2, Tpm: 0 }, 10)).toBe('ok');
    expect(l.admit('ep-a', { Rpm: 2, Tpm: 0 }, 10)).toBe('ok');
    expect(l.admit('ep-a', { Rpm: 2, Tpm: 0 }, 10)).toBe('rpm');
    expect(l.admit('ep-b', { Rpm: 2, Tpm: 0 }, 10)).toBe('ok');
    now += RATE_WINDOW_MS;
    expect(l.admit('ep-a', { Rpm: 2, Tpm: 0 }, 10)).toBe('ok');
  });

  it('refuses a request whose tokens would pass Tpm; refused requests do not count', () => {
    const l = limiter();
    expect(l.admit('ep-a', { Rpm: 0, Tpm: 100 }, 60)).toBe('ok');
    expect(l.admit('ep-a', { Rpm: 0, Tpm: 100 }, 50)).toBe('tpm');
    expect(l.admit('ep-a', { Rpm: 0, Tpm: 100 }, 40)).toBe('ok');
  });

  it('has no limit without a RateLimit or with zeros', () => {
    const l = limiter();
    for (let i = 0; i < 50; i++) {
      expect(l.admit('ep-a', undefined, 1000)).toBe('ok');
      expect(l.admit('ep-b', { Rpm: 0, Tpm: 0 }, 1000)).toBe('ok');
    }
  });
});
