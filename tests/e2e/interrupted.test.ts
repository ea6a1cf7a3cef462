/**
 * A `pulumi up` that dies (SIGKILL of the CLI and the provider: a crashed CI runner) in the middle of the
 * upload, and again in the middle of the endpoint creation, then runs again: the re-run must finish the job
 * with exactly one custom model and one endpoint (adopted through their owner tags, not created twice), and
 * destroy must leave ark-local empty. Credentials come from the environment here and must not reach state.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inventory } from './ark-inventory';
import { readTree } from './cli-harness';
import { PROJECT, startQuickstart, type QuickstartFixture } from './harness';
import { until } from './poll';
import { descendants, killQuietly, processTable } from './processes';

jest.setTimeout(600_000);

let f: QuickstartFixture;
beforeAll(async () => {
  f = await startQuickstart({ name: 'interrupted', credentials: 'env' });
});
afterAll(async () => {
  await f?.close();
});

/** SIGKILLs this stack's `pulumi up` and everything it started (the dynamic provider), like a crash would. */
function crashPulumiUp(): void {
  const table = processTable();
  const cli = descendants(process.pid, table).find((p) => /bin\/pulumi up /.test(p.cmdline) && p.cmdline.includes(`--stack ${f.stack.name}`));
  if (!cli) throw new Error(`no running "pulumi up --stack ${f.stack.name}" below pid ${process.pid}`);
  for (const pid of [cli.pid, ...descendants(cli.pid, table).map((p) => p.pid)]) killQuietly(pid);
}

/** Runs `up`, crashes it as soon as `when` holds, and returns the failure the Automation API saw. */
async function crashedUp(when: string, condition: () => Promise<boolean>): Promise<string> {
  const running = f.stack.up().then(
    () => 'up completed before the crash',
    (err: Error) => err.message,
  );
  await until(when, condition, { timeoutMs: 120_000 });
  crashPulumiUp();
  return running;
}

/**
 * A killed CLI leaves the DIY backend's lock behind; `pulumi cancel` does not exist for file:// backends, so the
 * operator deletes the lock file (docs/pulumi-cli.md says so). Returns how many were removed.
 */
function removeStaleLocks(): number {
  const locks = path.join(f.stateDir, 'backend', '.pulumi', 'locks');
  if (!fs.existsSync(locks)) return 0;
  const files = fs.readdirSync(locks, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  fs.rmSync(locks, { recursive: true, force: true });
  return files.length;
}

describe('an interrupted pulumi up', () => {
  it('resumes after a crash mid-upload and a crash mid-endpoint-create, leaving exactly one of each', async () => {
    // 1. Crash while the 900 MiB weights file is still uploading (the small files are already there).
    const firstCrash = await crashedUp('the first objects in TOS', async () => (await inventory(f.ark)).objects > 0);
    expect(firstCrash).not.toBe('up completed before the crash');
    expect((await inventory(f.ark)).customModels).toEqual([]);
    removeStaleLocks();

    // 2. Crash right after CreateEndpoint: GetEndpoint answers slowly, so the waiter is still waiting.
    await f.ark.admin.addFault({ service: 'ark', operation: 'GetEndpoint', kind: 'latency', latencyMs: 60_000 });
    const secondCrash = await crashedUp('an endpoint in Ark', async () => (await inventory(f.ark)).endpoints.length > 0);
    expect(secondCrash).not.toBe('up completed before the crash');
    await f.ark.admin.clearFaults();
    removeStaleLocks();

    // 3. The re-run completes and adopts what the crashed runs made.
    const up = await f.stack.up();
    expect(up.outputs.endpointStatus?.value).toBe('Running');
    expect(await inventory(f.ark)).toEqual({ endpoints: [`${up.outputs.endpointId?.value} Running`], customModels: [up.outputs.customModelId?.value], objects: 7 });
    expect((await f.stack.preview()).changeSummary).toEqual({ same: 4 });
  });

  it('kept the credentials (from the environment) out of the state', () => {
    const stored = readTree(path.join(f.stateDir, 'backend')) + readTree(path.join(f.stateDir, 'workspace'));
    expect(stored).toContain(PROJECT);
    expect(stored).not.toContain(f.secretAccessKey);
    expect(stored).not.toContain(f.accessKeyId);
  });

  it('destroys to an empty ark-local', async () => {
    await f.stack.destroy();
    expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
  });
});
