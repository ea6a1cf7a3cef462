import { createOnce } from './create-once';
import { ArkNetworkError, ArkServerError, ArkValidationError } from './errors';

const log = { info: jest.fn(), warn: jest.fn() };
const details = { action: 'CreateEndpoint', code: 'X', message: 'm', httpStatus: 0 };
const lostAnswer = () => new ArkNetworkError({ ...details, code: 'ECONNRESET', maybeSent: true });

describe('createOnce', () => {
  it('returns the created id', async () => {
    const lookup = jest.fn();
    await expect(createOnce({ what: 'endpoint', create: async () => 'ep-1', lookup, log })).resolves.toBe('ep-1');
    expect(lookup).not.toHaveBeenCalled();
  });

  it('adopts the resource a lost answer created instead of creating again', async () => {
    const create = jest.fn().mockRejectedValueOnce(lostAnswer()).mockResolvedValue('ep-2');
    await expect(createOnce({ what: 'endpoint', create, lookup: async () => 'ep-1', log })).resolves.toBe('ep-1');
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('creates again only after several spaced lookups prove the failed attempt made nothing', async () => {
    const create = jest.fn().mockRejectedValueOnce(new ArkServerError({ ...details, httpStatus: 500 })).mockResolvedValue('ep-2');
    const lookup = jest.fn().mockResolvedValue(undefined);
    const sleep = jest.fn().mockResolvedValue(undefined);
    await expect(createOnce({ what: 'endpoint', create, lookup, log, lookupAttempts: 3, lookupDelayMs: 50, clock: { now: Date.now, sleep } })).resolves.toBe('ep-2');
    expect(create).toHaveBeenCalledTimes(2);
    expect(lookup).toHaveBeenCalledTimes(3);
    expect(sleep.mock.calls).toEqual([[50], [50]]);
  });

  it('ends the pause between lookups when its signal aborts, creating nothing more', async () => {
    const create = jest.fn().mockRejectedValueOnce(lostAnswer()).mockResolvedValue('ep-2');
    const engine = new AbortController();
    const lookup = jest.fn(async () => {
      engine.abort(new Error('the engine is gone'));
      return undefined;
    });
    const forever = { now: Date.now, sleep: () => new Promise<void>(() => undefined) };
    await expect(createOnce({ what: 'endpoint', create, lookup, log, clock: forever, signal: engine.signal })).rejects.toThrow('the engine is gone');
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('adopts a resource that a lagging listing shows only on a later lookup', async () => {
    const create = jest.fn().mockRejectedValueOnce(lostAnswer()).mockResolvedValue('ep-2');
    const lookup = jest.fn().mockResolvedValueOnce(undefined).mockResolvedValue('ep-1');
    const sleep = jest.fn().mockResolvedValue(undefined);
    await expect(createOnce({ what: 'endpoint', create, lookup, log, clock: { now: Date.now, sleep } })).resolves.toBe('ep-1');
    expect(create).toHaveBeenCalledTimes(1);
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('throws a definite failure at once', async () => {
    const lookup = jest.fn();
    const create = jest.fn().mockRejectedValue(new ArkValidationError({ ...details, httpStatus: 400 }));
    await expect(createOnce({ what: 'endpoint', create, lookup, log })).rejects.toBeInstanceOf(ArkValidationError);
    expect(lookup).not.toHaveBeenCalled();
  });

  it('gives up after maxAttempts ambiguous failures that created nothing', async () => {
    const create = jest.fn().mockRejectedValue(lostAnswer());
    const clock = { now: Date.now, sleep: async () => undefined };
    await expect(createOnce({ what: 'endpoint', create, lookup: async () => undefined, log, maxAttempts: 3, clock })).rejects.toBeInstanceOf(ArkNetworkError);
    expect(create).toHaveBeenCalledTimes(3);
  });
});
