/**
 * The quickstart's whole pipeline once more, with ark-local in variance mode (emulator/ark/variance.ts): unknown
 * extra fields, absent optional fields, an unknown transitional status before each known one, no Result for empty
 * actions. The real `pulumi` binary runs examples/quickstart as users do; up, refresh through an unknown status,
 * the repairing up and destroy must all succeed. `pulumi-ark doctor` runs in the same stack directory and reads
 * its stack config through the CLI.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { UNKNOWN_STATUS } from '../../emulator/ark/variance';
import { ArkClient } from '../../provider/clients/ark/client';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, repoTempDir, type ExampleRun, uniqueCredential, requireBuiltPackage } from './cli-harness';

jest.setTimeout(900_000);

const STACK = 'e2e-variance';
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let ark: ArkLocal;
let run: ExampleRun;
let dataDir: string;
const credential = uniqueCredential();

beforeAll(async () => {
  requireBuiltPackage();
  dataDir = repoTempDir('variance-cli-data');
  // after-reads: 1 so every transitional state is really observed, on top of the unknown ones variance adds.
  ark = await startArkLocal({
    dataDir: path.join(dataDir, 'ark-local'),
    credentials: [credential],
    transitions: { mode: 'after-reads', reads: 1 },
    variance: true,
  });
  const modelDir = path.join(dataDir, 'model');
  await writeSyntheticModel(modelDir, { base: 'Qwen2.5-0.5B', fill: 'sparse' });
  run = await openExample({ example: 'examples/quickstart', name: 'variance-cli', ark: { ark, credential, via: 'config' } });
  const modelUnitId = (await ark.admin.createModelUnit({ name: 'e2e-variance' })).Id;
  await run.pulumiOk(['stack', 'init', STACK]);
  const config = { baseModel: 'Qwen2.5-0.5B', bucket: 'models', createBucket: 'true', modelDir, modelUnitId };
  await run.pulumiOk(['config', 'set-all', ...Object.entries(config).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`])]);
  await run.pulumiOk(['config', 'set-all', ...run.arkConfigArgs()]);
});
afterAll(async () => {
  await run?.close();
  await ark?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function endpointStatusInState(): Promise<string | undefined> {
  const exported = JSON.parse((await run.pulumiOk(['stack', 'export'])).stdout) as {
    deployment: { resources: { type: string; outputs?: { status?: string } }[] };
  };
  return exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)?.outputs?.status;
}

test('up, refresh through an unknown status, repair and destroy all succeed in variance mode', async () => {
  const up = await run.pulumiOk(['up', '--yes']);
  expect(up.stdout).toMatch(/\+ 4 created/);
  // The waits met statuses no source lists and waited through them, saying so.
  expect(up.stdout + up.stderr).toContain(`${UNKNOWN_STATUS.customModel} (a status pulumi-ark does not know; waiting through it)`);
  expect(up.stdout + up.stderr).toContain(`${UNKNOWN_STATUS.endpoint} (a status pulumi-ark does not know; waiting through it)`);
  const outputs = JSON.parse((await run.pulumiOk(['stack', 'output', '--json'])).stdout) as Record<string, string>;
  expect(outputs.endpointStatus).toBe('Running');

  // A no-op preview despite fields coming and going in the answers.
  expect((await run.pulumiOk(['preview'])).stdout).toMatch(/4 unchanged/);

  // Restarted out of band: refresh stores the unknown status as read, the next up waits it out.
  const client = new ArkClient({ settings: ark.providerSettings() });
  await client.call('StopEndpoint', { Id: outputs.endpointId! });
  await client.call('StartEndpoint', { Id: outputs.endpointId! });
  // --skip-preview: a refresh preview reads too, and would move ark-local's read-driven state on first.
  await run.pulumiOk(['refresh', '--yes', '--skip-preview']);
  expect(await endpointStatusInState()).toBe(UNKNOWN_STATUS.endpoint);
  await run.pulumiOk(['up', '--yes']);
  expect(await endpointStatusInState()).toBe('Running');

  // The doctor, run in the stack directory, reads the stack config through the CLI and reports what it tolerated.
  const doctor = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'pulumi-ark.js'), 'doctor', '--bucket', 'models', '--json'], {
    cwd: run.dir,
    env: run.env,
  }).catch((e: { stdout: string }) => e);
  const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string; notes?: string[] }[] };
  expect(report.checks.find((c) => c.id === 'stack-config')).toMatchObject({ status: 'pass' });
  expect(report.checks.find((c) => c.id === 'list-endpoints')!.notes).toContainEqual(expect.stringContaining('ArkLocalVarianceField'));
  expect(report.ok).toBe(true);

  await run.pulumiOk(['destroy', '--yes']);
  const state = await ark.admin.state();
  expect(state.endpoints).toEqual([]);
  expect(state.customModels).toEqual([]);
});
