/**
 * One trial of "a CI runner cancels the job during the upload": `pulumi up` of examples/quickstart runs detached
 * in its own process group, and once the weights' multipart upload is under way the whole group gets SIGKILL (a
 * runner's last escalation, and what a Ctrl-C'd-twice or OOM-killed CLI amounts to). The engine started the
 * dynamic provider in a process group of its own, so the signal does not reach it: the provider must notice by
 * itself (provider/engine-watch.ts) and exit. Then `up` runs again, and `destroy` must leave ark-local empty.
 *
 * Shared by the e2e test (one trial, asserted) and `npm run soak` (20 trials, counted).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inventory as arkInventory } from './ark-inventory';
import { startExampleStack } from './example-stack';
import { sleep, until } from './poll';
import { killQuietly, processesOfRun } from './processes';

/** The bound: no provider of the cancelled run may be running this long after the kill. */
export const PROVIDER_EXIT_BOUND_MS = 10_000;
const BUCKET = 'models';

export interface CancelTrialOptions {
  /** A synthetic model directory (writeSyntheticModel), shared between trials. */
  modelDir: string;
  /** Names the trial's stack and temporary directories. */
  name: string;
  /** Extra wait after the upload is seen under way, so repeated trials kill at different moments. */
  killDelayMs?: number;
  log?: (line: string) => void;
}

export interface Inventory {
  openUploads: number;
  objects: number;
  customModels: number;
  endpoints: number;
}

export interface CancelTrialResult {
  /** Provider processes of the cancelled run alive just before the kill (0 means the trial proved nothing). */
  providersAtKill: number;
  /** Those still running PROVIDER_EXIT_BOUND_MS after the kill (then killed, so they upload no further). */
  survivors: number;
  /** How long the last provider took to go, in ms. */
  exitMs: number;
  /** ark-local after the second `up`: one model, one endpoint, every file. */
  afterRerun: Inventory;
  /** ark-local after `destroy`: nothing at all. */
  afterDestroy: Inventory;
}

export async function cancelTrial(opts: CancelTrialOptions): Promise<CancelTrialResult> {
  const log = opts.log ?? (() => undefined);
  // e2e-* stack names: .gitignore covers the Pulumi.<stack>.yaml a killed run leaves in the example.
  const f = await startExampleStack({ example: 'examples/quickstart', name: opts.name, stack: `e2e-cancel-${randomBytes(3).toString('hex')}`, modelDir: opts.modelDir });
  const run = f.run;
  const home = path.join(run.stateDir, 'home');
  const openUploads = async () => {
    try {
      return ((await f.tos().listMultipartUploads({ bucket: BUCKET })).data.Uploads ?? []).length;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
  };
  const inventory = async (): Promise<Inventory> => {
    const { objects, customModels, endpoints } = await arkInventory(f.ark);
    return { openUploads: await openUploads(), objects, customModels: customModels.length, endpoints: endpoints.length };
  };

  try {
    // Slow parts keep the window "multipart upload under way" open long enough to land the kill in it.
    await f.ark.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'latency', latencyMs: 500 });
    const up = run.spawnPulumi(['up', '--yes', '--skip-preview']);
    let exited = false;
    void up.result.then(() => (exited = true));
    await until('a multipart upload under way', async () => exited || (await openUploads()) > 0);
    if (exited) throw new Error(`pulumi up ended before the kill:\n${(await up.result).stdout}\n${(await up.result).stderr}`);
    if (opts.killDelayMs) await sleep(opts.killDelayMs);

    const providersAtKill = providerProcesses(home).length;
    up.signalGroup('SIGKILL');
    const killed = await up.result;
    const killedAt = Date.now();
    log(`${opts.name}: pulumi up killed (${killed.signal ?? killed.code}) with ${providersAtKill} provider process(es) running`);
    let alive = providerProcesses(home);
    while (alive.length > 0 && Date.now() - killedAt < PROVIDER_EXIT_BOUND_MS) {
      await sleep(100);
      alive = providerProcesses(home);
    }
    const exitMs = Date.now() - killedAt;
    const survivors = alive.length;
    // Whatever outlived the bound (and any other plugin of the dead engine) must not keep working for the next run.
    for (const pid of processesOfRun(home)) killQuietly(pid);

    await f.ark.admin.clearFaults();
    run.removeLocks();
    await run.pulumiOk(['up', '--yes', '--skip-preview']);
    const afterRerun = await inventory();
    await run.pulumiOk(['destroy', '--yes', '--skip-preview']);
    const afterDestroy = await inventory();
    log(`${opts.name}: providers gone after ${exitMs} ms (${survivors} survivor(s)); after the re-run ${JSON.stringify(afterRerun)}; after destroy ${JSON.stringify(afterDestroy)}`);
    return { providersAtKill, survivors, exitMs, afterRerun, afterDestroy };
  } finally {
    for (const pid of processesOfRun(home)) killQuietly(pid);
    await f.close();
  }
}

/** The pulumi-ark provider processes of this run: Pulumi's dynamic-provider host and its shell wrapper. */
export function providerProcesses(home: string): number[] {
  return processesOfRun(home).filter((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('cmd/dynamic-provider') || cmdline.includes('pulumi-resource-pulumi-nodejs');
    } catch {
      return false;
    }
  });
}

