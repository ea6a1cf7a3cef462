/** Waiting in e2e tests for something another process does: no fixed sleeps where a condition can be polled. */

export interface UntilOptions {
  /** Fails the wait (naming `what`) after this long; generous, since the machine may be busy. */
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls `condition` until it holds; rejects with "timed out waiting for <what>" past the timeout. */
export async function until(what: string, condition: () => Promise<boolean> | boolean, opts: UntilOptions = {}): Promise<void> {
  const { timeoutMs = 300_000, intervalMs = 100 } = opts;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs `tick` again and again (at most `maxTicks` times, `pauseMs` apart) while `work` runs, as a client keeps
 * calling through a deployment; resolves with `work`'s result once both have stopped.
 */
export async function repeatWhile<T>(work: Promise<T>, tick: () => Promise<void>, { maxTicks, pauseMs }: { maxTicks: number; pauseMs: number }): Promise<T> {
  let done = false;
  const loop = (async () => {
    for (let i = 0; i < maxTicks && !done; i++) {
      await tick();
      await sleep(pauseMs);
    }
  })();
  try {
    return await work;
  } finally {
    done = true;
    await loop;
  }
}
