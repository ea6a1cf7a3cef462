import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TosClient } from '@volcengine/tos-sdk';
import { startArkLocal, type ArkLocal } from '../../emulator';
import { crc64 } from '../../provider/api/crc64';
import { PartialFailureError, UNKNOWN } from '../../provider/resources/controller';
import { tosModelDirController as controller } from '../../provider/resources/tos-model-dir/controller';
import { InputsSchema, type Inputs, type Outputs } from '../../provider/resources/tos-model-dir/schema';
import { normalizePrefix } from '../../provider/sync/keys';
import { writeSyntheticModel } from '../../provider/model/synthetic';
import { META_OWNER } from '../../provider/sync/engine';
import { contextFor, countTosRequests, listAll, rawTos, tempDir, writeFile, writeFixtureModel } from './sync-helpers';

const BUCKET = 'models';
const OWNER = 'proj/dev/weights';

describe('TosModelDir controller against ark-local', () => {
  let arkLocal: ArkLocal;
  let tos: TosClient;
  let work: string;
  let src: string;
  let n = 0;
  let prefix: string;

  beforeAll(async () => {
    arkLocal = await startArkLocal({ quiet: true });
    tos = rawTos(arkLocal);
    work = await tempDir('tos-model-dir');
    process.env.PULUMI_ARK_CACHE_DIR = path.join(work, 'cache');
    await tos.createBucket({ bucket: BUCKET });
  });
  afterAll(async () => {
    await arkLocal.close();
    await fs.rm(work, { recursive: true, force: true });
    delete process.env.PULUMI_ARK_CACHE_DIR;
  });
  beforeEach(async () => {
    n += 1;
    prefix = `runs/r${n}/`;
    src = path.join(work, `model-${n}`);
    await writeFixtureModel(src);
    await arkLocal.admin.clearFaults();
  });

  function ctx() {
    return contextFor(() => arkLocal.providerSettings());
  }

  /**
   * Inputs as check would produce them. The sync fixture is a LoRA adapter plus a large file (small and fast to
   * upload), which the model validator rightly refuses, so check itself is exercised on a full model below.
   */
  async function checked(overrides: Record<string, unknown> = {}): Promise<Inputs> {
    const raw = { source: src, bucket: BUCKET, prefix: prefix.slice(0, -1), baseModel: 'Qwen/Qwen2.5-0.5B', owner: OWNER, partSize: 5 * 1024 * 1024, ...overrides };
    const inputs = InputsSchema.parse(raw);
    return { ...inputs, prefix: normalizePrefix(inputs.prefix!) };
  }

  async function created(overrides: Record<string, unknown> = {}): Promise<{ inputs: Inputs; outs: Outputs; id: string }> {
    const inputs = await checked(overrides);
    const { id, outs } = await controller.create(inputs, ctx().ctx);
    return { inputs, outs, id };
  }

  /** The partial-failure error `run` must fail with. */
  async function partialFailure(run: Promise<unknown>): Promise<PartialFailureError> {
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PartialFailureError);
    return error as PartialFailureError;
  }

  test('first sync uploads every file with owner metadata and CRC64s that match the local files', async () => {
    const { id, outs } = await created();
    expect(id).toBe(`tos://${BUCKET}/${prefix}`);
    expect(outs.location).toBe(id);
    expect(outs.prefix).toBe(prefix);
    expect(outs.baseModel).toBe('Qwen2.5-0.5B');
    const remote = await listAll(tos, BUCKET, prefix);
    expect(remote.map((o) => o.key.slice(prefix.length))).toEqual(outs.files.map((f) => f.path));
    expect(outs.fileCount).toBe(remote.length);
    expect(outs.totalBytes).toBe(remote.reduce((s, o) => s + o.size, 0));
    const big = outs.files.find((f) => f.path === 'extra/optimizer-state.bin')!;
    expect(big.crc64).toBe(crc64(await fs.readFile(path.join(src, 'extra/optimizer-state.bin'))));
    const head = await tos.headObject({ bucket: BUCKET, key: `${prefix}extra/optimizer-state.bin` });
    expect(head.data['x-tos-hash-crc64ecma']).toBe(big.crc64);
    expect(head.data[`x-tos-meta-${META_OWNER}`]).toBe(OWNER);
  });

  test('a no-op re-sync sends nothing and leaves every object untouched', async () => {
    const { inputs, outs } = await created();
    const before = await listAll(tos, BUCKET, prefix);
    const count = await countTosRequests(arkLocal, ['PutObject', 'UploadPart', 'CreateMultipartUpload', 'DeleteMultiObjects']);
    const d = ctx();
    expect(await controller.diff(outs.location, outs, inputs, d.ctx)).toEqual({ changes: false, changed: [] });
    expect(d.lines.info.join('\n')).toMatch(/0 to upload, 0 to replace, 0 to delete, \d+ unchanged/);
    const { outs: again } = await controller.update(outs.location, outs, inputs, ctx().ctx);
    expect(again.contentDigest).toBe(outs.contentDigest);
    expect(await count()).toEqual({ PutObject: 0, UploadPart: 0, CreateMultipartUpload: 0, DeleteMultiObjects: 0 });
    expect(await listAll(tos, BUCKET, prefix)).toEqual(before);
  });

  test('one changed file is the only one re-uploaded; a removed file is deleted remotely', async () => {
    const { inputs, outs } = await created();
    const adapter = path.join(src, 'adapter_model.safetensors');
    const bytes = await fs.readFile(adapter);
    bytes[bytes.length - 1] ^= 0xff; // same size, different content
    await writeFile(src, 'adapter_model.safetensors', bytes);
    await fs.rm(path.join(src, 'merges.txt'));
    const before = new Map((await listAll(tos, BUCKET, prefix)).map((o) => [o.key, o]));

    const d = ctx();
    expect((await controller.diff(outs.location, outs, inputs, d.ctx)).changes).toBe(true);
    expect(d.lines.info.join('\n')).toMatch(/0 to upload, 1 to replace, .* 1 to delete/);

    const count = await countTosRequests(arkLocal, ['PutObject', 'UploadPart']);
    const { outs: after } = await controller.update(outs.location, outs, inputs, ctx().ctx);
    expect(await count()).toEqual({ PutObject: 1, UploadPart: 0 });
    expect(after.contentDigest).not.toBe(outs.contentDigest);
    const remote = await listAll(tos, BUCKET, prefix);
    expect(remote.map((o) => o.key)).not.toContain(`${prefix}merges.txt`);
    for (const o of remote) {
      if (o.key.endsWith('adapter_model.safetensors')) expect(o.etag).not.toBe(before.get(o.key)!.etag);
      else expect(o).toEqual(before.get(o.key));
    }
    expect(after.files.find((f) => f.path === 'adapter_model.safetensors')!.crc64).toBe(crc64(bytes));
  });

  test('throttling and 5xx beyond the SDK retries are survived', async () => {
    // The SDK retries 3 times at once; 6 failures in a row (one request at a time) are only survived by the
    // backoff layer above it.
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'server-error', count: 6 });
    await arkLocal.admin.addFault({ service: 'tos', operation: 'PutObject', kind: 'throttle', count: 6 });
    const c = ctx();
    const inputs = await checked({ uploadConcurrency: 1 });
    const { outs } = await controller.create(inputs, c.ctx);
    expect(outs.fileCount).toBe((await listAll(tos, BUCKET, prefix)).length);
    expect(c.lines.warn.some((l) => /retrying/.test(l))).toBe(true);
    expect((await arkLocal.admin.listFaults()).map((f) => f.fired)).toEqual([6, 6]);
  });

  test('bad credentials fail clearly', async () => {
    const inputs = await checked();
    const bad = contextFor(() => ({ ...arkLocal.providerSettings(), secretAccessKey: 'wrong-secret' }));
    await expect(controller.create(inputs, bad.ctx)).rejects.toThrow(/403.*check the access key/);
    expect(await listAll(tos, BUCKET, prefix)).toEqual([]);
  });

  test('a missing bucket is refused unless createBucket', async () => {
    const inputs = await checked({ bucket: `fresh-${n}` });
    await expect(controller.create(inputs, ctx().ctx)).rejects.toThrow(`bucket fresh-${n}: expected an existing TOS bucket fresh-${n}, found none`);
    const { outs } = await controller.create({ ...inputs, createBucket: true }, ctx().ctx);
    expect(outs.fileCount).toBeGreaterThan(0);
  });

  test('refresh sees a deleted or overwritten object, and a vanished prefix means gone', async () => {
    const { inputs, outs } = await created();
    await tos.deleteObject({ bucket: BUCKET, key: `${prefix}merges.txt` });
    await tos.putObject({ bucket: BUCKET, key: `${prefix}vocab.json`, body: Buffer.from('{"overwritten":true}') });
    const { id, props } = await controller.read(outs.location, outs, ctx().ctx);
    expect(id).toBe(outs.location);
    expect(props!.files.map((f) => f.path)).not.toContain('merges.txt');
    expect(props!.files.find((f) => f.path === 'vocab.json')!.crc64).toBe(crc64(Buffer.from('{"overwritten":true}')));
    expect(props!.contentDigest).not.toBe(outs.contentDigest);
    expect((await controller.diff(id!, props!, inputs, ctx().ctx)).changes).toBe(true);

    const { outs: repaired } = await controller.update(id!, props!, inputs, ctx().ctx);
    expect(repaired.contentDigest).toBe(outs.contentDigest);

    const keys = (await listAll(tos, BUCKET, prefix)).map((o) => ({ key: o.key }));
    await tos.deleteMultiObjects({ bucket: BUCKET, objects: keys });
    expect(await controller.read(outs.location, repaired, ctx().ctx)).toEqual({});
  });

  test('delete aborts every open multipart upload under the prefix (an interrupted sync leaves nothing billed)', async () => {
    const { outs } = await created();
    const { data } = await tos.createMultipartUpload({ bucket: BUCKET, key: `${prefix}extra/optimizer-state.bin` });
    await tos.uploadPart({ bucket: BUCKET, key: `${prefix}extra/optimizer-state.bin`, uploadId: data.UploadId, partNumber: 1, body: Buffer.alloc(1024) });
    await tos.createMultipartUpload({ bucket: BUCKET, key: `${prefix}never-started.bin` });
    const sibling = await tos.createMultipartUpload({ bucket: BUCKET, key: `${prefix.slice(0, -1)}-sibling/y.bin` });
    const d = ctx();
    await controller.delete(outs.location, outs, d.ctx);
    expect(d.lines.info.join('\n')).toMatch(/aborted 2 open multipart upload\(s\)/);
    expect((await tos.listMultipartUploads({ bucket: BUCKET, prefix })).data.Uploads).toEqual([]);
    await tos.abortMultipartUpload({ bucket: BUCKET, key: sibling.data.Key, uploadId: sibling.data.UploadId });
  });

  test('delete removes exactly the managed objects', async () => {
    await tos.putObject({ bucket: BUCKET, key: `${prefix}someone-elses.txt`, body: Buffer.from('keep me') });
    await tos.putObject({ bucket: BUCKET, key: `${prefix.slice(0, -1)}-sibling/x.txt`, body: Buffer.from('keep me too') });
    const refused = checked().then((i) => controller.create(i, ctx().ctx));
    await expect(refused).rejects.toThrow(/found 1 other object\(s\): runs\/r\d+\/someone-elses.txt.*adoptExisting/);

    const { outs } = await created({ adoptExisting: true, deleteRemoved: false });
    expect(outs.files.map((f) => f.path)).not.toContain('someone-elses.txt');
    await controller.delete(outs.location, outs, ctx().ctx);
    expect((await listAll(tos, BUCKET, prefix.slice(0, -1))).map((o) => o.key)).toEqual([
      `${prefix.slice(0, -1)}-sibling/x.txt`,
      `${prefix}someone-elses.txt`,
    ]);
  });

  test('a re-run of an interrupted create adopts its own objects without adoptExisting', async () => {
    const inputs = await checked();
    await tos.putObject({ bucket: BUCKET, key: `${prefix}config-from-earlier-run.json`, body: Buffer.from('{}'), meta: { [META_OWNER]: OWNER } });
    const { outs } = await controller.create(inputs, ctx().ctx);
    expect((await listAll(tos, BUCKET, prefix)).map((o) => o.key)).not.toContain(`${prefix}config-from-earlier-run.json`);
    expect(outs.fileCount).toBeGreaterThan(0);
  });

  test('a sync failing part-way raises a partial-create error naming what arrived; the next update completes it', async () => {
    const inputs = await checked();
    const big = path.join(src, 'extra/optimizer-state.bin');
    // Touch the large file once the plan is made: small files upload first, then the large one is refused
    // because it changed since it was walked (a non-retryable failure, so the test stays fast).
    const c = contextFor(() => arkLocal.providerSettings());
    const info = c.ctx.log.info;
    c.ctx.log.info = (line) => {
      if (line.startsWith('sync ')) fsSync.utimesSync(big, new Date(), new Date());
      info(line);
    };
    const partial = await partialFailure(controller.create(inputs, c.ctx));
    expect(partial.reasons[0]).toMatch(/optimizer-state.bin: expected the file as walked .* it changed during the sync/);
    expect(partial.id).toBe(`tos://${BUCKET}/${prefix}`);
    const props = partial.properties as Outputs;
    expect(props.files.map((f) => f.path)).not.toContain('extra/optimizer-state.bin');
    expect(props.fileCount).toBe((await listAll(tos, BUCKET, prefix)).length);

    const d = ctx();
    expect((await controller.diff(partial.id, props, inputs, d.ctx)).changes).toBe(true);
    expect(d.lines.info.join('\n')).toMatch(/1 to upload, 0 to replace/);
    const { outs } = await controller.update(partial.id, props, inputs, ctx().ctx);
    expect(outs.files.map((f) => f.path)).toContain('extra/optimizer-state.bin');
  });

  test('an object damaged on its way to TOS fails the create, stays in the partial state unverified, and is deleted by destroy', async () => {
    const inputs = await checked();
    await arkLocal.admin.addFault({ service: 'tos', operation: 'PutObject', kind: 'corrupt-body', count: 1 });
    const partial = await partialFailure(controller.create(inputs, ctx().ctx));
    expect(partial.reasons[0]).toMatch(/expected the uploaded object's CRC64 to equal that of the bytes read from the local file, \d+, found \d+/);
    const props = partial.properties as Outputs;
    const remote = await listAll(tos, BUCKET, prefix);
    // Every object the failed create left under the prefix is in the state, the damaged one without a CRC64.
    expect(props.files.map((f) => f.path).sort()).toEqual(remote.map((o) => o.key.slice(prefix.length)).sort());
    const damaged = props.files.filter((f) => f.crc64 === undefined);
    expect(damaged).toHaveLength(1);
    const local = crc64(await fs.readFile(path.join(src, damaged[0]!.path)));
    const head = await tos.headObject({ bucket: BUCKET, key: `${prefix}${damaged[0]!.path}` });
    expect(head.data['x-tos-hash-crc64ecma']).not.toBe(local);

    // The next up uploads the damaged file again...
    const { outs } = await controller.update(partial.id, props, inputs, ctx().ctx);
    const repaired = await tos.headObject({ bucket: BUCKET, key: `${prefix}${damaged[0]!.path}` });
    expect(repaired.data['x-tos-hash-crc64ecma']).toBe(local);
    expect(outs.files.every((f) => f.crc64 !== undefined)).toBe(true);

    // ...and a destroy straight after the failure would have removed it with the rest.
    await arkLocal.admin.addFault({ service: 'tos', operation: 'PutObject', kind: 'corrupt-body', count: 1 });
    const again = await partialFailure(controller.create(await checked({ prefix: `${prefix}again` }), ctx().ctx));
    const againProps = again.properties as Outputs;
    expect(await listAll(tos, BUCKET, `${prefix}again/`)).not.toHaveLength(0);
    await controller.delete(again.id, againProps, ctx().ctx);
    expect(await listAll(tos, BUCKET, `${prefix}again/`)).toHaveLength(0);
  });

  test('an update that fails keeps in state the object it was replacing and the one it had yet to delete', async () => {
    const { inputs, outs, id } = await created();
    const [changed, removed] = outs.files.filter((f) => f.path !== 'extra/optimizer-state.bin').map((f) => f.path);
    await writeFile(src, changed!, 'edited locally, so the object is replaced');
    await fs.rm(path.join(src, removed!));
    await arkLocal.admin.addFault({ service: 'tos', operation: 'PutObject', kind: 'corrupt-body', count: 1 });
    const props = (await partialFailure(controller.update(id, outs, inputs, ctx().ctx))).properties as Outputs;
    const byPath = new Map(props.files.map((f) => [f.path, f]));
    expect(byPath.has(changed!)).toBe(true);
    expect(byPath.get(changed!)!.crc64).toBeUndefined();
    expect(byPath.has(removed!)).toBe(true);
    expect(props.files.map((f) => f.path).sort()).toEqual((await listAll(tos, BUCKET, prefix)).map((o) => o.key.slice(prefix.length)).sort());

    const { outs: converged } = await controller.update(id, props, inputs, ctx().ctx);
    expect(converged.files.map((f) => f.path)).not.toContain(removed);
    expect((await listAll(tos, BUCKET, prefix)).map((o) => o.key)).not.toContain(`${prefix}${removed}`);
    expect(converged.files.find((f) => f.path === changed)!.crc64).toBe(crc64(await fs.readFile(path.join(src, changed!))));
  });

  test('a part damaged on its way fails the upload at that part, before any object is made', async () => {
    const inputs = await checked();
    await arkLocal.admin.addFault({ service: 'tos', operation: 'UploadPart', kind: 'corrupt-body', count: 1 });
    const partial = await partialFailure(controller.create(inputs, ctx().ctx));
    expect(partial.reasons[0]).toMatch(/optimizer-state.bin part \d+: expected TOS to report the CRC64 of the bytes sent/);
    expect((await listAll(tos, BUCKET, prefix)).map((o) => o.key)).not.toContain(`${prefix}extra/optimizer-state.bin`);
    // Started, so kept unverified: from the client's side a started upload may have made its object.
    const props = partial.properties as Outputs;
    expect(props.files.find((f) => f.path === 'extra/optimizer-state.bin')).toEqual({ path: 'extra/optimizer-state.bin', size: expect.any(Number) });
    await controller.delete(partial.id, props, ctx().ctx);
    expect(await listAll(tos, BUCKET, prefix)).toHaveLength(0);
  });

  describe('check', () => {
    let full: string;
    beforeAll(async () => {
      full = path.join(work, 'full-model');
      await writeSyntheticModel(full, { base: 'Qwen2.5-0.5B', shards: 2, fill: 'sparse' });
    });
    const base = () => ({ source: full, bucket: BUCKET, prefix: 'p', baseModel: 'Qwen/Qwen2.5-0.5B', owner: OWNER });

    test('accepts a valid model, normalises the prefix and applies defaults', async () => {
      const result = await controller.check({}, base(), ctx().ctx);
      expect(result.failures).toBeUndefined();
      expect(result.inputs).toMatchObject({ prefix: 'p/', deleteRemoved: true, createBucket: false, adoptExisting: false, exclude: [] });
    });

    test('a missing bucket fails check (so preview) unless createBucket', async () => {
      const missing = await controller.check({}, { ...base(), bucket: 'no-such-bucket' }, ctx().ctx);
      expect(missing.failures).toEqual([
        { property: 'bucket', reason: 'expected an existing TOS bucket no-such-bucket, found none; create it, or set createBucket: true' },
      ]);
      const created = await controller.check({}, { ...base(), bucket: 'no-such-bucket', createBucket: true }, ctx().ctx);
      expect(created.failures).toBeUndefined();
    });

    test('a bucket in another region than Ark fails check (HeadBucket reports its region)', async () => {
      const s = arkLocal.providerSettings();
      const shanghai = new TosClient({ accessKeyId: s.accessKeyId, accessKeySecret: s.secretAccessKey, region: 'cn-shanghai', endpoint: s.tosEndpoint, secure: false });
      await shanghai.createBucket({ bucket: 'models-shanghai' });
      const result = await controller.check({}, { ...base(), bucket: 'models-shanghai' }, ctx().ctx);
      expect(result.failures).toEqual([{ property: 'bucket', reason: expect.stringMatching(/^expected TOS bucket models-shanghai in Ark's region cn-beijing, found it in cn-shanghai/) }]);
    });

    test('tolerates unknowns and skips value-dependent validation', async () => {
      const result = await controller.check({}, { ...base(), source: UNKNOWN, bucket: UNKNOWN }, ctx().ctx);
      expect(result.failures).toBeUndefined();
      expect(result.inputs).toMatchObject({ source: UNKNOWN, bucket: UNKNOWN, prefix: 'p/', deleteRemoved: true });
    });

    test('maps schema issues to properties', async () => {
      const bad = await controller.check({}, { ...base(), bucket: 'Bad_Bucket', prefix: '../x', partSize: 10, baseModel: 'gpt-5' }, ctx().ctx);
      expect(bad.failures!.map((f) => f.property).sort()).toEqual(['baseModel', 'bucket', 'partSize', 'prefix']);
      expect(bad.failures!.find((f) => f.property === 'bucket')!.reason).toContain('found "Bad_Bucket"');
    });

    test('model errors fail on source naming the file; a mismatched base is an error', async () => {
      const mismatched = await controller.check({}, { ...base(), baseModel: 'Qwen2.5-7B' }, ctx().ctx);
      expect(mismatched.failures!.length).toBeGreaterThan(0);
      expect(mismatched.failures!.every((f) => f.property === 'source')).toBe(true);
      const lora = await controller.check({}, { ...base(), source: src }, ctx().ctx);
      expect(lora.failures).toEqual([expect.objectContaining({ property: 'source', reason: expect.stringContaining('adapter_config.json') })]);
    });

    test('refuses a symlink leaving the directory', async () => {
      const dir = path.join(work, 'escaping');
      await writeSyntheticModel(dir, { base: 'Qwen2.5-0.5B', fill: 'sparse' });
      await fs.symlink('/etc/hostname', path.join(dir, 'escape.txt'));
      const result = await controller.check({}, { ...base(), source: dir }, ctx().ctx);
      expect(result.failures).toEqual([expect.objectContaining({ property: 'source', reason: expect.stringContaining('escape.txt') })]);
    });
  });
});
