import { computePlan, planIsEmpty, planTotals, type LocalFile, type RemoteFile } from './plan';
import { PrefixError } from './keys';

const P = 'models/qwen/';
const l = (path: string, size: number, crc64?: string): LocalFile => ({ path, size, crc64 });
const r = (rel: string, size: number, crc64?: string): RemoteFile => ({ key: P + rel, size, crc64 });

type Row = {
  name: string;
  local: LocalFile[];
  remote: RemoteFile[];
  deleteRemoved?: boolean;
  expect: { upload?: string[]; replace?: string[]; deleteRemote?: string[]; unchanged?: string[]; kept?: string[] };
};

const rows: Row[] = [
  { name: 'empty remote uploads everything', local: [l('a', 1, '1'), l('b/c', 2, '2')], remote: [], expect: { upload: ['a', 'b/c'] } },
  { name: 'identical is unchanged', local: [l('a', 1, '1')], remote: [r('a', 1, '1')], expect: { unchanged: ['a'] } },
  { name: 'size differs -> replace', local: [l('a', 2, '1')], remote: [r('a', 1, '1')], expect: { replace: ['a'] } },
  { name: 'same size, crc differs -> replace', local: [l('a', 1, '1')], remote: [r('a', 1, '9')], expect: { replace: ['a'] } },
  { name: 'not hashed yet, nothing remote -> upload', local: [l('a', 1)], remote: [], expect: { upload: ['a'] } },
  { name: 'not hashed yet, size differs -> replace', local: [l('a', 2)], remote: [r('a', 1, '1')], expect: { replace: ['a'] } },
  { name: 'remote crc unknown -> replace', local: [l('a', 1, '1')], remote: [r('a', 1)], expect: { replace: ['a'] } },
  { name: 'extra remote deleted', local: [l('a', 1, '1')], remote: [r('a', 1, '1'), r('old.bin', 5, '5')], expect: { unchanged: ['a'], deleteRemote: ['old.bin'] } },
  { name: 'extra remote kept when deleteRemoved is off', local: [], remote: [r('old.bin', 5, '5')], deleteRemoved: false, expect: { kept: ['old.bin'] } },
  { name: 'directory markers ignored', local: [], remote: [{ key: P, size: 0 }, { key: P + 'sub/', size: 0 }], expect: {} },
  { name: 'keys outside the prefix ignored, never deleted', local: [], remote: [{ key: 'models/qwen', size: 1 }, { key: 'models/qwen2/x', size: 1 }, { key: 'other/x', size: 1 }], expect: {} },
  { name: 'dot segments under the prefix ignored, never deleted', local: [], remote: [{ key: P + '../escape', size: 1 }, { key: P + './x', size: 1 }, { key: P + 'a//b', size: 1 }], expect: {} },
  {
    name: 'mixed',
    local: [l('config.json', 10, '10'), l('model-1.safetensors', 100, 'new'), l('model-2.safetensors', 100, '2'), l('tokenizer.json', 7, '7')],
    remote: [r('config.json', 10, '10'), r('model-1.safetensors', 100, 'old'), r('model-3.safetensors', 100, '3')],
    expect: { unchanged: ['config.json'], replace: ['model-1.safetensors'], upload: ['model-2.safetensors', 'tokenizer.json'], deleteRemote: ['model-3.safetensors'] },
  },
];

describe('computePlan', () => {
  test.each(rows)('$name', (row) => {
    const plan = computePlan({ prefix: P, local: row.local, remote: row.remote, deleteRemoved: row.deleteRemoved ?? true });
    const paths = (items: { path: string }[]) => items.map((i) => i.path);
    expect({
      upload: paths(plan.upload),
      replace: paths(plan.replace),
      deleteRemote: paths(plan.deleteRemote),
      unchanged: paths(plan.unchanged),
      kept: paths(plan.kept),
    }).toEqual({ upload: [], replace: [], deleteRemote: [], unchanged: [], kept: [], ...row.expect });
    for (const item of [...plan.upload, ...plan.replace, ...plan.deleteRemote]) expect(item.key.startsWith(P)).toBe(true);
  });

  test('keys are prefix + path and totals add up', () => {
    const plan = computePlan({ prefix: P, local: [l('a', 3, '1'), l('b', 4, '2')], remote: [r('b', 5, '2'), r('c', 6, '3')], deleteRemoved: true });
    expect(plan.upload[0].key).toBe('models/qwen/a');
    expect(planTotals(plan)).toEqual({ uploadFiles: 2, uploadBytes: 7, deleteFiles: 1, unchangedFiles: 0 });
    expect(planIsEmpty(plan)).toBe(false);
    expect(planIsEmpty(computePlan({ prefix: P, local: [l('a', 1, '1')], remote: [r('a', 1, '1')], deleteRemoved: true }))).toBe(true);
  });

  test('a local path that would leave the prefix is refused', () => {
    expect(() => computePlan({ prefix: P, local: [l('../x', 1, '1')], remote: [], deleteRemoved: true })).toThrow(PrefixError);
    expect(() => computePlan({ prefix: P, local: [l('/abs', 1, '1')], remote: [], deleteRemoved: true })).toThrow(PrefixError);
  });
});
