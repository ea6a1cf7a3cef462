import { startArkHarness, type ArkHarness } from './emulator-ark-harness';

// Admin routes: transition policy (incl. after-seconds on an injected clock), reset, inspection.

const FM = { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } };

let h: ArkHarness;
// Starts at the real time: the SDK signs with the real clock and the 15-minute skew check uses this one.
let now = Date.now();
beforeAll(async () => {
  h = await startArkHarness({ clock: () => now, transitions: { mode: 'after-seconds', seconds: 20 } });
});
afterAll(() => h.close());

it('after-seconds follows the injected clock, with no background timers', async () => {
  const { Id } = await h.ok('CreateEndpoint', { Name: 'timed', ModelReference: FM });
  expect(Id.slice(3, 17)).toBe(new Date(now).toISOString().replace(/[-:T]/g, '').slice(0, 14));
  now += 19_999;
  expect((await h.ok('GetEndpoint', { Id })).Status).toBe('Scheduling');
  now += 1;
  expect((await h.ok('GetEndpoint', { Id })).Status).toBe('Running');
  expect(await h.ark.admin.getTransitions()).toEqual({ mode: 'after-seconds', seconds: 20 });
});

it('setTransitions applies to resources already waiting; reset clears state and restores the start policy', async () => {
  const { Id } = await h.ok('CreateEndpoint', { Name: 'switch', ModelReference: FM });
  expect((await h.ok('GetEndpoint', { Id })).Status).toBe('Scheduling');
  await h.ark.admin.setTransitions({ mode: 'immediate' });
  expect((await h.ok('GetEndpoint', { Id })).Status).toBe('Running');

  const mu = await h.ark.admin.createModelUnit({ name: 'inspect-me', slots: 4 });
  await h.ark.admin.addFault({ service: 'ark', operation: 'StopEndpoint', kind: 'throttle' });
  const state = await h.ark.admin.state();
  expect(state.endpoints.map((e) => e.Name).sort()).toEqual(['switch', 'timed']);
  expect(state.modelUnits).toEqual([expect.objectContaining({ Id: mu.Id, Name: 'inspect-me', Slots: 4, UsedSlots: 0, EndpointIds: [] })]);
  expect(state.faults).toHaveLength(1);
  expect(state.transitions).toEqual({ mode: 'immediate' });
  expect(state.tos).toEqual({ buckets: [] });

  await h.ark.admin.reset();
  const after = await h.ark.admin.state();
  expect(after).toMatchObject({ endpoints: [], customModels: [], modelUnits: [], faults: [], apiKeys: 0, transitions: { mode: 'after-seconds', seconds: 20 } });
});

it('unknown admin routes answer 404 naming the route', async () => {
  const response = await fetch(`${h.ark.url}/_ark-local/nothing-here`);
  expect(response.status).toBe(404);
  expect(((await response.json()) as { error: { message: string } }).error.message).toContain('/_ark-local/nothing-here');
});

it('GET /_ark-local/ lists the admin routes, and each listed route exists', async () => {
  const response = await fetch(`${h.ark.url}/_ark-local/`);
  expect(response.status).toBe(200);
  const { routes } = (await response.json()) as { routes: { method: string; path: string; does: string }[] };
  expect(routes).toEqual(expect.arrayContaining([expect.objectContaining({ method: 'POST', path: '/_ark-local/model-units' })]));
  for (const route of routes.filter((r) => r.method === 'GET')) {
    expect([route.path, (await fetch(`${h.ark.url}${route.path}`)).status]).toEqual([route.path, 200]);
  }
});

