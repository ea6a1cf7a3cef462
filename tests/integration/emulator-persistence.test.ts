import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal } from '../../emulator';
import { CONTROL_PLANE_FILE } from '../../emulator/state/persistence';
import { startArkHarness } from './emulator-ark-harness';

// A restart with --data keeps the control plane (endpoints, model units, keys, pending transitions) and TOS objects.

const FM = { FoundationModel: { Name: 'qwen2-5-0-5b', ModelVersion: '240919' } };

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'ark-persist-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function tosClient(ark: { credential: { accessKeyId: string; secretAccessKey: string }; region: string; tosEndpoint: string }): TosClient {
  return new TosClient({ accessKeyId: ark.credential.accessKeyId, accessKeySecret: ark.credential.secretAccessKey, region: ark.region, endpoint: ark.tosEndpoint, secure: false });
}

it('state and TOS objects survive close + start on the same data directory', async () => {
  const first = await startArkHarness({ dataDir, transitions: { mode: 'after-reads', reads: 3 } });
  const mu = await first.ark.admin.createModelUnit({ name: 'kept', slots: 3 });
  const running = (await first.ok('CreateEndpoint', { Name: 'running', ModelReference: FM, ModelUnitId: mu.Id })).Id;
  await first.ark.admin.setTransitions({ mode: 'immediate' });
  await first.ok('GetEndpoint', { Id: running });
  await first.ark.admin.setTransitions({ mode: 'after-reads', reads: 3 });
  const scheduling = (await first.ok('CreateEndpoint', { Name: 'scheduling', ModelReference: FM, ModelUnitId: mu.Id, Tags: [{ Key: 'k', Value: 'v' }] })).Id;
  await first.ok('GetEndpoint', { Id: scheduling }); // one of its three reads
  const { ApiKey } = await first.ok('GetApiKey', { DurationSeconds: 600, ResourceType: 'endpoint', ResourceIds: [running] });
  const tos = tosClient(first.ark);
  await tos.createBucket({ bucket: 'kept' });
  await tos.putObject({ bucket: 'kept', key: 'dir/hello.txt', body: Buffer.from('hello ark-local') });
  await first.close();

  const file = join(dataDir, CONTROL_PLANE_FILE);
  expect(existsSync(file)).toBe(true);
  expect(JSON.parse(readFileSync(file, 'utf8')).endpoints).toHaveLength(2);

  const second = await startArkHarness({ dataDir, transitions: { mode: 'after-reads', reads: 3 } });
  try {
    expect(await second.ok('GetEndpoint', { Id: running })).toMatchObject({ Name: 'running', Status: 'Running', ModelUnitId: mu.Id });
    // The pending transition resumes where it stopped: reads 2 and 3 still see Scheduling, read 4 Running.
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push((await second.ok('GetEndpoint', { Id: scheduling })).Status);
    expect(seen).toEqual(['Scheduling', 'Scheduling', 'Running']);
    expect(await second.ark.admin.listModelUnits()).toEqual([expect.objectContaining({ Id: mu.Id, Name: 'kept', Slots: 3, UsedSlots: 2 })]);
    expect((await second.ok('ListEndpoints', { TagFilters: [{ Key: 'k' }] })).Items.map((e) => e.Id)).toEqual([scheduling]);

    const object = await tosClient(second.ark).getObjectV2({ bucket: 'kept', key: 'dir/hello.txt', dataType: 'buffer' });
    expect((object.data.content as Buffer).toString()).toBe('hello ark-local');
    expect((await second.ark.admin.state()).tos.buckets).toEqual([{ name: 'kept', objects: 1, bytes: 15 }]);

    const chat = await fetch(`${second.ark.chatBaseUrl}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: running, messages: [{ role: 'user', content: 'still there?' }] }),
    });
    expect(chat.status).toBe(200);
  } finally {
    await second.close();
  }
});

it('without a data directory nothing is written and a restart starts empty', async () => {
  const first = await startArkHarness();
  await first.ok('CreateEndpoint', { Name: 'gone', ModelReference: FM });
  await first.close();
  const second = await startArkHarness();
  try {
    expect((await second.ok('ListEndpoints', {})).TotalCount).toBe(0);
  } finally {
    await second.close();
  }
});

it('a second ark-local on a data directory in use is refused, so neither overwrites the other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ark-lock-'));
  try {
    const first = await startArkLocal({ dataDir: dir, quiet: true });
    await expect(startArkLocal({ dataDir: dir, quiet: true })).rejects.toThrow(`data directory ${dir} is in use by process ${process.pid}`);
    await first.close();
    const second = await startArkLocal({ dataDir: dir, quiet: true });
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
