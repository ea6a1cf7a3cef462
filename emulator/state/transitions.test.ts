import { advanceOnRead, formatTransitionPolicy, parseTransitionPolicy, type Progress, type TransitionPolicy } from './transitions';

/** A three-state machine A -> B -> C (C settled), driven the way the control plane drives resources. */
function machine(start = 0) {
  const states = ['A', 'B', 'C'];
  const m = { index: 0, progress: { enteredAt: start, reads: 0 } as Progress };
  const resource = {
    progress: () => m.progress,
    setProgress: (p: Progress) => (m.progress = p),
    isTransitional: () => m.index < 2,
    step: async () => {
      m.index += 1;
      return true;
    },
  };
  return { state: () => states[m.index], read: (policy: TransitionPolicy, now: number, countRead = true) => advanceOnRead(policy, now, countRead, resource) };
}

describe('parseTransitionPolicy', () => {
  it.each([
    ['immediate', { mode: 'immediate' }],
    ['after-reads:3', { mode: 'after-reads', reads: 3 }],
    ['after-reads:0', { mode: 'after-reads', reads: 0 }],
    ['after-seconds:20', { mode: 'after-seconds', seconds: 20 }],
    ['after-seconds:0.5', { mode: 'after-seconds', seconds: 0.5 }],
  ])('%s', (text, policy) => {
    expect(parseTransitionPolicy(text)).toEqual(policy);
    expect(formatTransitionPolicy(parseTransitionPolicy(text))).toBe(text);
  });

  it.each(['', 'later', 'after-reads', 'after-reads:-1', 'after-reads:1.5', 'after-seconds:x', 'immediate:1', 'after-reads:1:2'])('refuses "%s"', (text) => {
    expect(() => parseTransitionPolicy(text)).toThrow(/expected "immediate", "after-reads:N"/);
  });
});

describe('advanceOnRead', () => {
  it('immediate: the first read sees the settled state', async () => {
    const m = machine();
    await m.read({ mode: 'immediate' }, 0);
    expect(m.state()).toBe('C');
  });

  it('after-reads N: each transitional state is observed by exactly N reads', async () => {
    const m = machine();
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      await m.read({ mode: 'after-reads', reads: 2 }, 0);
      seen.push(m.state()!);
    }
    expect(seen).toEqual(['A', 'A', 'B', 'B', 'C', 'C']);
  });

  it('mutating accesses (countRead false) take due steps but never count a read', async () => {
    const m = machine();
    for (let i = 0; i < 5; i++) expect(await m.read({ mode: 'after-reads', reads: 1 }, 0, false)).toBe(false);
    expect(m.state()).toBe('A');
    await m.read({ mode: 'after-reads', reads: 1 }, 0);
    await m.read({ mode: 'after-reads', reads: 1 }, 0, false);
    expect(m.state()).toBe('B');
  });

  it('after-seconds S: a read sees every step whose time has elapsed', async () => {
    const policy: TransitionPolicy = { mode: 'after-seconds', seconds: 10 };
    const at = async (seconds: number) => {
      const m = machine(0);
      await m.read(policy, seconds * 1000);
      return m.state();
    };
    expect(await at(9.999)).toBe('A');
    expect(await at(10)).toBe('B');
    expect(await at(19.999)).toBe('B');
    expect(await at(20)).toBe('C');
  });

  it('stops when a step removes the resource', async () => {
    let steps = 0;
    const changed = await advanceOnRead({ mode: 'immediate' }, 0, true, {
      progress: () => ({ enteredAt: 0, reads: 0 }),
      setProgress: () => undefined,
      isTransitional: () => true,
      step: async () => {
        steps += 1;
        return false;
      },
    });
    expect(changed).toBe(true);
    expect(steps).toBe(1);
  });
});
