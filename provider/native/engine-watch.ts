/**
 * Notices that the engine which started the plugin is gone (killed CLI, cancelled CI job): the engine is the
 * plugin's parent process, so the plugin is re-parented when it dies. A minimal watch of the plugin's own,
 * until the shared engine-liveness module for the dynamic provider (issue 12) can serve both.
 */
export function watchParent(onGone: () => void, intervalMs = 1_000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
