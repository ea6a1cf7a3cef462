/**
 * The quickstart's whole pipeline once more, with ark-local in variance mode (emulator/ark/variance.ts): unknown
 * extra fields, absent optional fields, an unknown transitional status before each known one, no Result for empty
 * actions. The real `pulumi` binary runs examples/quickstart as users do; up, refresh through an unknown status,
 * the repairing up and destroy must all succeed. `pulumi-ark doctor` runs in the same stack directory and reads
 * its stack config through the CLI.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { UNKNOWN_STATUS } from '../../emulator/ark/variance';
import { ArkClient } from '../../provider/clients/ark/client';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { startExampleStack, type ExampleStack } from './example-stack';

jest.setTimeout(900_000);

const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let f: ExampleStack;
beforeAll(async () => {
  // after-reads: 1 so every transitional state is really observed, on top of the unknown ones variance adds.
  f = await startExampleStack({ example: 'examples/quickstart', name: 'variance', transitions: { mode: 'after-reads', reads: 1 }, variance: true });
});
afterAll(async () => {
  await f?.close();
});

async function endpointStatusInState(): Promise<string | undefined> {
  const exported = JSON.parse((await f.pulumiOk(['stack', 'export'])).stdout) as {
    deployment: { resources: { type: string; outputs?: { status?: string } }[] };
  };
  return exported.deployment.resources.find((r) => r.type === `${DYNAMIC}ModelUnitEndpoint`)?.outputs?.status;
}

test('up, refresh through an unknown status, repair and destroy all succeed in variance mode', async () => {
  const up = await f.pulumiOk(['up', '--yes']);
  expect(up.stdout).toMatch(/\+ 4 created/);
  // The waits met statuses no source lists and waited through them, saying so.
  expect(up.stdout + up.stderr).toContain(`${UNKNOWN_STATUS.customModel} (a status pulumi-ark does not know; waiting through it)`);
  expect(up.stdout + up.stderr).toContain(`${UNKNOWN_STATUS.endpoint} (a status pulumi-ark does not know; waiting through it)`);
  const outputs = await f.outputs();
  expect(outputs.endpointStatus).toBe('Running');

  // A no-op preview despite fields coming and going in the answers.
  expect((await f.pulumiOk(['preview'])).stdout).toMatch(/4 unchanged/);

  // Restarted out of band: refresh stores the unknown status as read, the next up waits it out.
  const client = new ArkClient({ settings: f.ark.providerSettings() });
  await client.call('StopEndpoint', { Id: outputs.endpointId! });
  await client.call('StartEndpoint', { Id: outputs.endpointId! });
  // --skip-preview: a refresh preview reads too, and would move ark-local's read-driven state on first.
  await f.pulumiOk(['refresh', '--yes', '--skip-preview']);
  expect(await endpointStatusInState()).toBe(UNKNOWN_STATUS.endpoint);
  await f.pulumiOk(['up', '--yes']);
  expect(await endpointStatusInState()).toBe('Running');

  // The doctor, run in the stack directory, reads the stack config through the CLI and reports what it tolerated.
  const doctor = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'pulumi-ark.js'), 'doctor', '--bucket', 'models', '--json'], {
    cwd: f.run.dir,
    env: f.run.env,
  }).catch((e: { stdout: string }) => e);
  const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string; notes?: string[] }[] };
  expect(report.checks.find((c) => c.id === 'stack-config')).toMatchObject({ status: 'pass' });
  expect(report.checks.find((c) => c.id === 'list-endpoints')!.notes).toContainEqual(expect.stringContaining('ArkLocalVarianceField'));
  expect(report.ok).toBe(true);

  await f.pulumiOk(['destroy', '--yes']);
  expect(await inventory(f.ark)).toMatchObject({ endpoints: [], customModels: [] });
});
