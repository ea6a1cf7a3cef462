/**
 * A `pulumi up` that dies (SIGKILL of the CLI and the provider: a crashed CI runner) in the middle of the
 * upload, and again in the middle of the endpoint creation, then runs again: the re-run must finish the job
 * with exactly one custom model and one endpoint (adopted through their owner tags, not created twice), and
 * destroy must leave ark-local empty. The real `pulumi` binary runs in examples/quickstart, as users run it;
 * credentials come from its environment here and must not reach state.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inventory } from './ark-inventory';
import { readTree, type CliResult } from './cli-harness';
import { startExampleStack, type ExampleStack } from './example-stack';
import { until } from './poll';
import { descendants, killQuietly } from './processes';

jest.setTimeout(600_000);

const PROJECT = 'ark-quickstart';

let f: ExampleStack;
beforeAll(async () => {
  f = await startExampleStack({ example: 'examples/quickstart', name: 'interrupted', via: 'env' });
});
afterAll(async () => {
  await f?.close();
});

/**
 * Runs `up` detached, and as soon as `condition` holds SIGKILLs it with everything it started, like a crash:
 * the CLI's process group, and the plugins (the dynamic provider, the language host), which the engine starts
 * in process groups of their own. Resolves with how the CLI ended; an `up` that finished first resolves too.
 */
async function crashedUp(when: string, condition: () => Promise<boolean>): Promise<CliResult> {
  const up = f.run.spawnPulumi(['up', '--yes', '--skip-preview']);
  let exited = false;
  void up.result.then(() => (exited = true));
  await until(when, async () => exited || (await condition()), { timeoutMs: 120_000 });
  const plugins = descendants(up.child.pid!).map((p) => p.pid);
  up.signalGroup('SIGKILL');
  for (const pid of plugins) killQuietly(pid);
  return up.result;
}

/** How a crashed `up` ended, with its output when it was not the kill (for the failure message). */
function ending(result: CliResult): string {
  return result.signal === 'SIGKILL' ? 'killed' : `exited ${result.code}:\n${result.stdout}\n${result.stderr}`;
}

describe('an interrupted pulumi up', () => {
  it('resumes after a crash mid-upload and a crash mid-endpoint-create, leaving exactly one of each', async () => {
    // 1. Crash while the 900 MiB weights file is still uploading (the small files are already there).
    const firstCrash = await crashedUp('the first objects in TOS', async () => (await inventory(f.ark)).objects > 0);
    expect(ending(firstCrash)).toBe('killed');
    expect((await inventory(f.ark)).customModels).toEqual([]);
    f.run.removeLocks();

    // 2. Crash right after CreateEndpoint: GetEndpoint answers slowly, so the waiter is still waiting.
    await f.ark.admin.addFault({ service: 'ark', operation: 'GetEndpoint', kind: 'latency', latencyMs: 60_000 });
    const secondCrash = await crashedUp('an endpoint in Ark', async () => (await inventory(f.ark)).endpoints.length > 0);
    expect(ending(secondCrash)).toBe('killed');
    await f.ark.admin.clearFaults();
    f.run.removeLocks();

    // 3. The re-run completes and adopts what the crashed runs made.
    await f.pulumiOk(['up', '--yes', '--skip-preview']);
    const outputs = await f.outputs();
    expect(outputs.endpointStatus).toBe('Running');
    expect(await inventory(f.ark)).toEqual({ endpoints: [`${outputs.endpointId} Running`], customModels: [outputs.customModelId], objects: 7 });
    expect((await f.pulumiOk(['preview', '--expect-no-changes'])).stdout).toMatch(/Resources:\s+4 unchanged/);
  });

  it('kept the credentials (from the environment) out of the state and the stack config file', () => {
    const stored = readTree(path.join(f.run.stateDir, 'backend')) + fs.readFileSync(path.join(f.run.dir, `Pulumi.${f.stack}.yaml`), 'utf8');
    expect(stored).toContain(PROJECT);
    expect(stored).not.toContain(f.credential.secretAccessKey);
    expect(stored).not.toContain(f.credential.accessKeyId);
  });

  it('destroys to an empty ark-local', async () => {
    await f.pulumiOk(['destroy', '--yes', '--skip-preview']);
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
});
