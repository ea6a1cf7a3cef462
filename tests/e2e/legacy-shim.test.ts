/**
 * A stack deployed by pulumi-ark 0.1.0 carries closure-serialized shims as `__provider` (the exact texts are in
 * provider/resources/legacy-shims/); the current classes send a fixed shim text instead. With the real `pulumi`
 * in examples/quickstart: a state whose resources hold the 0.1.0 texts previews as a no-op under the current
 * program, and is refreshed and destroyed by those texts (the engine runs read/delete with the provider stored
 * in state).
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { openExample, repoTempDir, type ExampleRun, uniqueCredential, requireBuiltPackage } from './cli-harness';

jest.setTimeout(600_000);

const STACK = 'e2e-legacy-shim';
const LEGACY_DIR = path.join(REPO_ROOT, 'provider', 'resources', 'legacy-shims');
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let ark: ArkLocal;
let run: ExampleRun;
let dataDir: string;
const credential = uniqueCredential();

beforeAll(async () => {
  requireBuiltPackage();
  dataDir = repoTempDir('legacy-shim-data');
  ark = await startArkLocal({ dataDir: path.join(dataDir, 'ark-local'), credentials: [credential], transitions: { mode: 'immediate' } });
  const modelDir = path.join(dataDir, 'model');
  await writeSyntheticModel(modelDir, { base: 'Qwen2.5-0.5B', fill: 'sparse' });
  const unit = await ark.admin.createModelUnit({ name: 'legacy-shim' });
  run = await openExample({ example: 'examples/quickstart', name: 'legacy-shim', ark: { ark, credential, via: 'config' } });
  await run.pulumiOk(['stack', 'init', STACK]);
  const example = { modelDir, baseModel: 'Qwen2.5-0.5B', bucket: 'models', createBucket: 'true', modelUnitId: unit.Id };
  await run.pulumiOk(['config', 'set-all', '--stack', STACK, ...run.arkConfigArgs(), ...Object.entries(example).flatMap(([k, v]) => ['--plaintext', `${k}=${v}`])]);
});
afterAll(async () => {
  await run?.close();
  await ark?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

interface StateResource {
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

interface Exported {
  deployment: { resources: StateResource[] };
}

async function exportState(): Promise<Exported> {
  const file = path.join(run.stateDir, 'export.json');
  await run.pulumiOk(['stack', 'export', '--stack', STACK, '--file', file]);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Exported;
}

function providersIn(state: Exported): Record<string, unknown> {
  const ours = state.deployment.resources.filter((r) => r.type.startsWith(DYNAMIC));
  return Object.fromEntries(ours.map((r) => [r.type.slice(DYNAMIC.length), r.outputs?.__provider]));
}

it('a state holding 0.1.0 shims previews as a no-op, refreshes and destroys', async () => {
  await run.pulumiOk(['up', '--stack', STACK, '--yes', '--skip-preview']);

  // Make the state what a 0.1.0 deployment left: its shim text in every ark resource's inputs and outputs.
  const state = await exportState();
  const legacy: Record<string, string> = {};
  for (const resource of state.deployment.resources) {
    if (!resource.type.startsWith(DYNAMIC)) continue;
    const kind = resource.type.slice(DYNAMIC.length);
    legacy[kind] = fs.readFileSync(path.join(LEGACY_DIR, `0.1.0-${kind}.js`), 'utf8');
    resource.inputs = { ...resource.inputs, __provider: legacy[kind] };
    resource.outputs = { ...resource.outputs, __provider: legacy[kind] };
  }
  expect(Object.keys(legacy).sort()).toEqual(['CustomModel', 'ModelUnitEndpoint', 'TosModelDir']);
  const edited = path.join(run.stateDir, 'legacy.json');
  fs.writeFileSync(edited, JSON.stringify(state));
  await run.pulumiOk(['stack', 'import', '--stack', STACK, '--file', edited]);

  // The current program sends the new shim text; diff ignores __provider, so nothing changes.
  await run.pulumiOk(['preview', '--stack', STACK, '--expect-no-changes']);

  // Refresh reads through the stored (0.1.0) providers, and the runtime keeps them in the refreshed state.
  await run.pulumiOk(['refresh', '--stack', STACK, '--yes']);
  expect(providersIn(await exportState())).toEqual(legacy);

  await run.pulumiOk(['destroy', '--stack', STACK, '--yes']);
  const left = await ark.admin.state();
  expect({ endpoints: left.endpoints.length, customModels: left.customModels.length, objects: left.tos.buckets.reduce((n, b) => n + b.objects, 0) }).toEqual({
    endpoints: 0,
    customModels: 0,
    objects: 0,
  });
});
