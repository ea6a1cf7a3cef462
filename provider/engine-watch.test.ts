import { PassThrough } from 'node:stream';
import { EngineGoneError, isDynamicProviderProcess, watchEngine, type EngineWatchOptions } from './engine-watch';

/** A watch over a fake stdin and parent pid, recording exits and log lines. */
function harness(overrides: EngineWatchOptions = {}) {
  const stdin = new PassThrough();
  let parent = 4242;
  const exits: number[] = [];
  const lines: string[] = [];
  const watch = watchEngine({
    stdin,
    stdinIsPipe: true,
    parentPid: () => parent,
    pollMs: 5,
    graceMs: 50,
    exit: (code) => exits.push(code),
    log: (line) => lines.push(line),
    ...overrides,
  });
  return { watch, stdin, exits, lines, reparent: (pid: number) => void (parent = pid) };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe('watchEngine', () => {
  it('aborts and exits at once when the engine pipe closes with nothing in flight', async () => {
    const h = harness();
    h.stdin.end();
    await tick(10);
    expect(h.watch.signal.aborted).toBe(true);
    expect(h.watch.signal.reason).toBeInstanceOf(EngineGoneError);
    expect(h.exits).toEqual([1]);
    expect(h.lines.join('\n')).toContain('the Pulumi engine is gone (its pipe to this process closed)');
  });

  it('notices a new parent pid (reparented after the engine died)', async () => {
    const h = harness();
    h.reparent(1);
    await tick(30);
    expect(h.watch.signal.aborted).toBe(true);
    expect(h.watch.signal.reason.message).toContain('parent process 4242 exited; the parent is now 1');
    expect(h.exits).toEqual([1]);
  });

  it('waits for tracked work to settle after aborting, then exits', async () => {
    const h = harness({ graceMs: 10_000 });
    let settle!: () => void;
    const work = h.watch.track(() => new Promise<void>((resolve) => (settle = resolve)));
    h.stdin.end();
    await tick(10);
    expect(h.watch.signal.aborted).toBe(true);
    expect(h.exits).toEqual([]);
    settle();
    await work;
    expect(h.exits).toEqual([1]);
  });

  it('refuses to start work once the engine is gone', async () => {
    const h = harness({ graceMs: 10_000 });
    h.stdin.end();
    await tick(10);
    let started = false;
    await expect(h.watch.track(async () => (started = true))).rejects.toThrow('engine that started this provider is gone');
    expect(started).toBe(false);
  });

  it('exits after the grace period when aborted work never settles', async () => {
    const h = harness({ graceMs: 20 });
    void h.watch.track(() => new Promise(() => undefined));
    h.stdin.end();
    await tick(10);
    expect(h.exits).toEqual([]);
    await tick(40);
    expect(h.exits).toEqual([1]);
  });

  it('ignores stdin when it is not a pipe from the engine, and a parent that is init from the start', async () => {
    const h = harness({ stdinIsPipe: false, parentPid: () => 1 });
    h.stdin.end();
    await tick(20);
    expect(h.watch.signal.aborted).toBe(false);
    expect(h.exits).toEqual([]);
  });

  it('does nothing after stop', async () => {
    const h = harness();
    h.watch.stop();
    h.stdin.end();
    h.reparent(1);
    await tick(20);
    expect(h.watch.signal.aborted).toBe(false);
  });
});

describe('isDynamicProviderProcess', () => {
  it('recognises the dynamic-provider host script and nothing else', () => {
    expect(isDynamicProviderProcess(['node', '/w/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js', '127.0.0.1:1'])).toBe(true);
    expect(isDynamicProviderProcess(['node', '/w/node_modules/jest-worker/build/processChild.js'])).toBe(false);
    expect(isDynamicProviderProcess(['node'])).toBe(false);
  });
});
