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
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal } from '../../emulator';
import { openExample, repoTempDir, uniqueCredential } from './cli-harness';

/** The issue's bound: no provider of the cancelled run may be running this long after the kill. */
export const PROVIDER_EXIT_BOUND_MS = 10_000;
const BUCKET = 'models';
const BASE_MODEL = 'Qwen2.5-0.5B';

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
  const dataDir = repoTempDir(`${opts.name}-data`);
  const credential = uniqueCredential();
  const ark = await startArkLocal({ dataDir: path.join(dataDir, 'ark-local'), credentials: [credential], transitions: { mode: 'immediate' } });
  const run = await openExample({ example: 'examples/quickstart', name: opts.name, ark: { ark, credential, via: 'config' } });
  const home = path.join(run.stateDir, 'home');
  const tos = new TosClient({ accessKeyId: credential.accessKeyId, accessKeySecret: credential.secretAccessKey, region: ark.region, endpoint: ark.tosEndpoint, secure: false });
  const openUploads = async () => {
    try {
      return ((await tos.listMultipartUploads({ bucket: BUCKET })).data.Uploads ?? []).length;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return 0;
      throw error;
    }
  };
  const inventory = async (): Promise<Inventory> => {
    const state = await ark.admin.state();
    return {
      openUploads: await openUploads(),
      objects: state.tos.buckets.reduce((n, b) => n + b.objects, 0),
      customModels: state.customModels.length,
      endpoints: state.endpoints.length,
    };
  };

  try {
    const stack = `e2e-cancel-${randomBytes(3).toString('hex')}`;
    const modelUnitId = (await ark.admin.createModelUnit({ name: stack })).Id;
    await run.pulumiOk(['stack', 'init', stack]);
    const config = { baseModel: BASE_MODEL, bucket: BUCKET, createBucket: 'true', modelDir: opts.modelDir, modelUnitId };
    await run.pulumiOk(['config', 'set-all', ...Object.entries(config).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`]), ...run.arkConfigArgs()]);

    // Slow parts keep the window "multipart upload under way" open long enough to land the kill in it.
    await ark.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'latency', latencyMs: 500 });
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

    await ark.admin.clearFaults();
    removeStaleLocks(run.stateDir);
    await run.pulumiOk(['up', '--yes', '--skip-preview']);
    const afterRerun = await inventory();
    await run.pulumiOk(['destroy', '--yes', '--skip-preview']);
    const afterDestroy = await inventory();
    log(`${opts.name}: providers gone after ${exitMs} ms (${survivors} survivor(s)); after the re-run ${JSON.stringify(afterRerun)}; after destroy ${JSON.stringify(afterDestroy)}`);
    return { providersAtKill, survivors, exitMs, afterRerun, afterDestroy };
  } finally {
    for (const pid of processesOfRun(home)) killQuietly(pid);
    await run.close();
    await ark.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Processes whose environment carries this run's PULUMI_HOME: the CLI and every plugin it started (Linux /proc). */
function processesOfRun(home: string): number[] {
  const marker = `PULUMI_HOME=${home}\0`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${fs.readFileSync(`/proc/${entry}/environ`, 'utf8')}\0`.includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
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

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A killed CLI leaves the file:// backend's lock; `pulumi cancel` does not exist there, so the operator deletes it. */
function removeStaleLocks(stateDir: string): void {
  fs.rmSync(path.join(stateDir, 'backend', '.pulumi', 'locks'), { recursive: true, force: true });
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
