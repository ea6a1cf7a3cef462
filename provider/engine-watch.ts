/**
 * Notices when the Pulumi engine that started this provider process is gone, aborts the work in flight through
 * one AbortSignal (ControllerContext.signal), and ends the process once that work has settled or a short grace
 * period has passed.
 *
 * Why it is needed: the engine starts every plugin in a process group of its own (`Setpgid`, Pulumi's
 * `cmdutil.RegisterProcessGroup`), so killing the CLI's group (Ctrl-C twice, a CI runner cancelling a job) does
 * not reach the provider; it kept uploading for minutes, several GB of RSS each. Nothing tells it otherwise:
 * its gRPC server has no client to lose, and the dynamic provider's own Cancel does nothing.
 *
 * What tells it: the engine creates each plugin's stdin as a pipe (`cmd.StdinPipe()`, Pulumi's plugin.go) and
 * never writes to it or closes it while the plugin runs, so end-of-file on stdin means the engine process has
 * exited (the kernel closes its end). That works through the `pulumi-resource-pulumi-nodejs` shell wrapper,
 * which is the node process's parent and outlives the engine. A change of parent pid (reparenting to init or a
 * subreaper) is watched as well, for plugins the engine starts directly (the native plugin).
 *
 * The next `up` adopts or resumes what the aborted work left: owner tags find created resources, the multipart
 * checkpoints resume uploads; so stopping mid-way loses nothing that cannot be resumed.
 */
import { fstatSync } from 'node:fs';

/** How often the parent pid is compared with the one at start. */
export const PARENT_POLL_MS = 1_000;
/** How long aborted work may take to settle (checkpoints written, requests torn down) before the process exits. */
export const EXIT_GRACE_MS = 3_000;

export class EngineGoneError extends Error {
  constructor(readonly how: string) {
    super(`the Pulumi engine that started this provider is gone (${how}); stopping, the next \`pulumi up\` resumes`);
    this.name = 'EngineGoneError';
  }
}

export interface EngineWatchOptions {
  /** The pipe from the engine; watched only when it is a pipe or socket (never a TTY, file or /dev/null). */
  stdin?: NodeJS.ReadableStream & { unref?(): void };
  /** Whether `stdin` is a pipe from the engine; default: fd 0 is a FIFO or socket. */
  stdinIsPipe?: boolean;
  /** The current parent pid; default `process.ppid` (read afresh each time). */
  parentPid?: () => number;
  pollMs?: number;
  graceMs?: number;
  /** Ends the process; default `process.exit`. */
  exit?: (code: number) => void;
  /** One diagnostic line; default stderr, where the engine is no longer listening but a terminal may be. */
  log?: (line: string) => void;
}

export interface EngineWatch {
  /** Aborted, with an EngineGoneError as reason, once the engine is gone. */
  readonly signal: AbortSignal;
  /**
   * Starts `work` and counts it as in flight: the process exits as soon as none is, or when the grace period
   * ends. Once the engine is gone it refuses to start anything (rejects with the EngineGoneError).
   */
  track<T>(work: () => Promise<T>): Promise<T>;
  /** Stops watching (tests; a plugin shutting down on its own). */
  stop(): void;
}

export function watchEngine(options: EngineWatchOptions = {}): EngineWatch {
  const controller = new AbortController();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log ?? stderrLine;
  const graceMs = options.graceMs ?? EXIT_GRACE_MS;
  const parentPid = options.parentPid ?? (() => process.ppid);
  let inFlight = 0;
  let exited = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const cleanups: (() => void)[] = [];

  const finish = (): void => {
    if (exited) return;
    exited = true;
    clearTimeout(graceTimer);
    for (const cleanup of cleanups.splice(0)) cleanup();
    exit(1);
  };

  const gone = (how: string): void => {
    if (controller.signal.aborted) return;
    for (const cleanup of cleanups.splice(0)) cleanup();
    log(`pulumi-ark: the Pulumi engine is gone (${how}); aborting ${inFlight} operation(s) in flight and exiting`);
    controller.abort(new EngineGoneError(how));
    if (inFlight === 0) return finish();
    // A ref'd timer: the exit must happen even if the aborted work never settles.
    graceTimer = setTimeout(finish, graceMs);
  };

  const stdin = options.stdin ?? process.stdin;
  if (options.stdinIsPipe ?? stdinIsPipe()) {
    const onEnd = () => gone('its pipe to this process closed');
    stdin.on('end', onEnd);
    stdin.on('close', onEnd);
    stdin.on('error', onEnd);
    // Read and discard: the engine never writes, but 'end' only fires on a flowing stream.
    stdin.resume();
    stdin.unref?.();
    cleanups.push(() => {
      stdin.off('end', onEnd);
      stdin.off('close', onEnd);
      stdin.off('error', onEnd);
    });
  }

  const startParent = parentPid();
  // Parent 1 at start means it was already reparented (or runs as init's child): nothing to compare with.
  if (startParent > 1) {
    const timer = setInterval(() => {
      const now = parentPid();
      if (now !== startParent) gone(`parent process ${startParent} exited; the parent is now ${now}`);
    }, options.pollMs ?? PARENT_POLL_MS);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
  }

  return {
    signal: controller.signal,
    async track(work) {
      controller.signal.throwIfAborted();
      inFlight += 1;
      try {
        return await work();
      } finally {
        inFlight -= 1;
        if (inFlight === 0 && controller.signal.aborted) finish();
      }
    },
    stop() {
      for (const cleanup of cleanups.splice(0)) cleanup();
    },
  };
}

/** True when this process is Pulumi's dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`). */
export function isDynamicProviderProcess(argv: readonly string[] = process.argv): boolean {
  const script = (argv[1] ?? '').replace(/\\/g, '/');
  return /\/@pulumi\/pulumi\/cmd\/dynamic-provider(\/index(\.js)?)?$/.test(script);
}

function stdinIsPipe(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

/** The engine no longer reads stderr: a write may fail with EPIPE, which must not become a crash report. */
function stderrLine(line: string): void {
  process.stderr.on('error', () => undefined);
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // nobody is listening
  }
}
