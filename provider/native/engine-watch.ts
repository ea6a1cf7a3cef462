/**
 * Notices that the engine which started the plugin is gone (killed CLI, cancelled CI job): the engine starts
 * the plugin directly, as its child, so the plugin is re-parented when the engine dies. A minimal watch of the
 * plugin's own; issue 12's provider/engine-watch.ts (stdin end-of-file and parent pid, for the dynamic
 * provider) can replace it once both are merged.
 */
export function watchParent(onGone: () => void, intervalMs = 1_000, parentPid: () => number = () => process.ppid): () => void {
  const parent = parentPid();
  const timer = setInterval(() => {
    if (parentPid() !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
