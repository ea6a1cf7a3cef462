import { type Acceptors, GONE, type Observation, WaitFailedError, WaitTimeoutError, pollIntervalFrom, waitFor } from './waiter';
import { ENDPOINT_GONE, ENDPOINT_RUNNING, MODEL_READY } from './waiters';

function fakeClock() {
  let now = 0;
  const sleeps: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), sleeps };
}

/** Answers the scripted statuses in order, repeating the last one. */
function script(...statuses: (string | Observation<string>)[]) {
  let i = 0;
  return async (): Promise<Observation<string>> => {
    const next = statuses[Math.min(i++, statuses.length - 1)];
    return typeof next === 'string' ? { status: next, value: next === GONE ? undefined : `obj:${next}` } : next;
  };
}

const interval = { initialMs: 100, maxMs: 400, factor: 2 };

function run(acceptors: Acceptors, poll: () => Promise<Observation<string>>, timeoutMs = 10_000) {
  const clock = fakeClock();
  const progress: { status: string; elapsedMs: number }[] = [];
  const result = waitFor({ what: 'endpoint ep-1', goal: 'Running', poll, acceptors, timeoutMs, interval, clock, onProgress: (p) => progress.push(p) });
  return { result, clock, progress };
}

describe('waitFor', () => {
  it('polls with growing, capped intervals until success and reports progress with elapsed time', async () => {
    const { result, clock, progress } = run(ENDPOINT_RUNNING, script('Scheduling', 'Scheduling', 'Scheduling', 'Scheduling', 'Running'));
    await expect(result).resolves.toEqual({ status: 'Running', value: 'obj:Running', elapsedMs: 1100 });
    expect(clock.sleeps).toEqual([100, 200, 400, 400]);
    expect(progress).toEqual([
      { status: 'Scheduling', elapsedMs: 0 },
      { status: 'Scheduling', elapsedMs: 100 },
      { status: 'Scheduling', elapsedMs: 300 },
      { status: 'Scheduling', elapsedMs: 700 },
    ]);
  });

  it('fails fast on a failure status with the service reason', async () => {
    const { result } = run(ENDPOINT_RUNNING, script('Scheduling', { status: 'Abnormal', reason: 'no GPU left', value: 'x' }));
    const error = await result.catch((e) => e);
    expect(error).toBeInstanceOf(WaitFailedError);
    expect(error).toMatchObject({ status: 'Abnormal', reason: 'no GPU left', value: 'x' });
    expect(error.message).toBe('endpoint ep-1 reached status Abnormal while waiting for Running: no GPU left');
  });

  it('waits through a status in no list, showing it raw, until a known one ends the wait', async () => {
    const { result, progress } = run(MODEL_READY, script('Queued', 'Queued', 'Processing', 'Ready'));
    await expect(result).resolves.toMatchObject({ status: 'Ready' });
    expect(progress).toEqual([
      { status: 'Queued', elapsedMs: 0, unknown: true },
      { status: 'Queued', elapsedMs: 100, unknown: true },
      { status: 'Processing', elapsedMs: 300 },
    ]);
  });

  it('still fails fast on a known failure after an unknown status', async () => {
    const error = await run(ENDPOINT_RUNNING, script('Warming', 'Abnormal')).result.catch((e) => e);
    expect(error).toBeInstanceOf(WaitFailedError);
    expect(error).toMatchObject({ status: 'Abnormal' });
  });

  it('gives up at the deadline naming the unknown statuses it waited through', async () => {
    const error = await run(ENDPOINT_RUNNING, script('Warming', 'Pending'), 1_000).result.catch((e) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ lastStatus: 'Pending', unknownStatuses: ['Warming', 'Pending'] });
    expect(error.message).toContain('its last status was Pending');
    expect(error.message).toContain('Ark reported statuses pulumi-ark does not know (Warming, Pending) and waited through them');
  });

  it('times out with the last status, polling one last time at the deadline', async () => {
    const { result, clock } = run(ENDPOINT_RUNNING, script({ status: 'Scheduling', reason: 'queued' }), 1_000);
    const error = await result.catch((e) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect(error).toMatchObject({ lastStatus: 'Scheduling', lastReason: 'queued', elapsedMs: 1_000, timeoutMs: 1_000 });
    expect(error.message).toBe(
      'timed out after 1s waiting for endpoint ep-1 to become Running: its last status was Scheduling (queued); the limit was 1s',
    );
    expect(clock.now()).toBe(1_000);
  });

  it('accepts a success observed exactly at the deadline', async () => {
    const { result } = run(ENDPOINT_RUNNING, script('Scheduling', 'Scheduling', 'Running'), 150);
    await expect(result).resolves.toMatchObject({ status: 'Running', elapsedMs: 150 });
  });

  it('counts a vanished resource as success for a deletion wait', async () => {
    const { result } = run(ENDPOINT_GONE, script('Deleting', 'Deleting', GONE));
    await expect(result).resolves.toEqual({ status: GONE, value: undefined, elapsedMs: 300 });
  });

  it('counts a vanished resource as failure for a readiness wait', async () => {
    await expect(run(MODEL_READY, script('Processing', GONE)).result).rejects.toMatchObject({ status: GONE });
  });

  it('propagates errors thrown by the poll', async () => {
    const poll = async (): Promise<Observation<string>> => {
      throw new Error('Ark GetEndpoint failed: AccessDenied');
    };
    await expect(run(ENDPOINT_RUNNING, poll).result).rejects.toThrow('AccessDenied');
  });
});

describe('pollIntervalFrom', () => {
  it('keeps the default without an override and scales the cap with one', () => {
    expect(pollIntervalFrom(undefined)).toEqual({ initialMs: 2_000, maxMs: 15_000, factor: 1.5 });
    expect(pollIntervalFrom(10)).toEqual({ initialMs: 10, maxMs: 80, factor: 1.5 });
  });
});
