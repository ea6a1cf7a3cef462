import { watchParent } from './engine-watch';

describe('watchParent', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('calls back once when the parent pid changes (the engine died and the plugin was re-parented)', () => {
    let ppid = 4242;
    const gone = jest.fn();
    watchParent(gone, 1_000, () => ppid);
    jest.advanceTimersByTime(5_000);
    expect(gone).not.toHaveBeenCalled();
    ppid = 1;
    jest.advanceTimersByTime(1_000);
    jest.advanceTimersByTime(5_000);
    expect(gone).toHaveBeenCalledTimes(1);
  });

  it('stops watching when asked', () => {
    let ppid = 4242;
    const gone = jest.fn();
    const stop = watchParent(gone, 1_000, () => ppid);
    stop();
    ppid = 1;
    jest.advanceTimersByTime(5_000);
    expect(gone).not.toHaveBeenCalled();
  });
});
