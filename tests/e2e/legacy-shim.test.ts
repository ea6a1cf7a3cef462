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
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { inventory } from './ark-inventory';
import { startExampleStack, type ExampleStack } from './example-stack';

jest.setTimeout(600_000);

const LEGACY_DIR = path.join(REPO_ROOT, 'provider', 'resources', 'legacy-shims');
const DYNAMIC = 'pulumi-nodejs:dynamic/ark:';

let f: ExampleStack;
beforeAll(async () => {
  f = await startExampleStack({ example: 'examples/quickstart', name: 'legacy-shim' });
});
afterAll(async () => {
  await f?.close();
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
  const file = path.join(f.run.stateDir, 'export.json');
  await f.pulumiOk(['stack', 'export', '--stack', f.stack, '--file', file]);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Exported;
}

function providersIn(state: Exported): Record<string, unknown> {
  const ours = state.deployment.resources.filter((r) => r.type.startsWith(DYNAMIC));
  return Object.fromEntries(ours.map((r) => [r.type.slice(DYNAMIC.length), r.outputs?.__provider]));
}

it('a state holding 0.1.0 shims previews as a no-op, refreshes and destroys', async () => {
  await f.pulumiOk(['up', '--stack', f.stack, '--yes', '--skip-preview']);

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
  const edited = path.join(f.run.stateDir, 'legacy.json');
  fs.writeFileSync(edited, JSON.stringify(state));
  await f.pulumiOk(['stack', 'import', '--stack', f.stack, '--file', edited]);

  // The current program sends the new shim text; diff ignores __provider, so nothing changes.
  await f.pulumiOk(['preview', '--stack', f.stack, '--expect-no-changes']);

  // Refresh reads through the stored (0.1.0) providers, and the runtime keeps them in the refreshed state.
  await f.pulumiOk(['refresh', '--stack', f.stack, '--yes']);
  expect(providersIn(await exportState())).toEqual(legacy);

  await f.pulumiOk(['destroy', '--stack', f.stack, '--yes']);
  expect(await inventory(f.ark)).toEqual({ endpoints: [], customModels: [], objects: 0 });
});
