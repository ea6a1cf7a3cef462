/**
 * A stack deployed by pulumi-ark 0.1.0 carries closure-serialized shims as `__provider` (the exact texts are in
 * provider/resources/legacy-shims/); the current classes send a fixed shim text instead. Through the real
 * engine: a state whose resources hold the 0.1.0 texts previews as a no-op under the current program, and is
 * refreshed and destroyed by those texts (the engine runs read/delete with the provider stored in state).
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../scripts/pulumi-workspace';
import { PlanRecorder, startQuickstart, type QuickstartFixture } from './harness';

jest.setTimeout(600_000);

const LEGACY_DIR = path.join(REPO_ROOT, 'provider', 'resources', 'legacy-shims');
const KIND_PREFIX = 'pulumi-nodejs:dynamic/ark:';

let f: QuickstartFixture;
beforeAll(async () => {
  f = await startQuickstart({ name: 'legacy-shim', credentials: 'config' });
});
afterAll(async () => {
  await f?.close();
});

interface StateResource {
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

async function providersInState(): Promise<Record<string, unknown>> {
  const state = await f.stack.exportStack();
  const resources = (state.deployment as { resources: StateResource[] }).resources;
  return Object.fromEntries(resources.filter((r) => r.type.startsWith(KIND_PREFIX)).map((r) => [r.type.slice(KIND_PREFIX.length), r.outputs?.__provider]));
}

it('a state holding 0.1.0 shims previews as a no-op, refreshes and destroys', async () => {
  await f.stack.up();

  // Make the state what a 0.1.0 deployment left: its shim text in every ark resource's inputs and outputs.
  const state = await f.stack.exportStack();
  const legacy: Record<string, string> = {};
  for (const resource of (state.deployment as { resources: StateResource[] }).resources) {
    if (!resource.type.startsWith(KIND_PREFIX)) continue;
    const kind = resource.type.slice(KIND_PREFIX.length);
    legacy[kind] = fs.readFileSync(path.join(LEGACY_DIR, `0.1.0-${kind}.js`), 'utf8');
    resource.inputs = { ...resource.inputs, __provider: legacy[kind] };
    resource.outputs = { ...resource.outputs, __provider: legacy[kind] };
  }
  expect(Object.keys(legacy).sort()).toEqual(['CustomModel', 'ModelUnitEndpoint', 'TosModelDir']);
  await f.stack.importStack(state);

  const plan = new PlanRecorder();
  await f.stack.preview({ onEvent: plan.onEvent });
  expect(plan.summary()).toEqual({ TosModelDir: 'same', CustomModel: 'same', ModelUnitEndpoint: 'same' });

  // Refresh reads through the stored (0.1.0) providers; the runtime keeps them in the refreshed state.
  await f.stack.refresh();
  expect(await providersInState()).toEqual(legacy);

  await f.stack.destroy();
  const ark = await f.ark.admin.state();
  expect({ endpoints: ark.endpoints.length, customModels: ark.customModels.length, objects: ark.tos.buckets.reduce((n, b) => n + b.objects, 0) }).toEqual({
    endpoints: 0,
    customModels: 0,
    objects: 0,
  });
});
