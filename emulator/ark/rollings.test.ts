import type { ArkCompat } from './compat';
import { ArkControlPlane } from './control-plane';
import { ArkApiError } from './errors';
import { memoryPersistence } from '../state/persistence';

/**
 * Who may roll in ark-local (F16): a custom-model endpoint on a model unit reports SupportRolling, and accepts
 * CreateEndpointRolling, only when its unit or the server enables rolling; the unit's own setting wins.
 */
async function controlPlane(compat: Partial<ArkCompat>) {
  const cp = new ArkControlPlane({
    persistence: memoryPersistence(),
    clock: () => Date.parse('2026-12-07T00:00:00Z'),
    policy: { mode: 'immediate' },
    compat,
    bucketExists: async () => true,
    importModel: async () => ({ ok: true, quantization: null }),
    checkFoundationModel: () => undefined,
  });
  const upload = async (name: string) => {
    const { Id } = await cp.customModels.upload({ Name: name, FoundationModel: { Name: 'qwen3-8b', ModelVersion: '20250429' }, TosLocation: { BucketName: 'models', ObjectKey: `${name}/` } });
    await cp.customModels.get({ Id });
    return Id;
  };
  return { cp, from: await upload('from'), to: await upload('to') };
}

/** The code CreateEndpointRolling (DryRun) answers with on a fresh endpoint of `from` on a unit made with `unit`. */
async function rollingVerdict(compat: Partial<ArkCompat>, unit: { SupportRolling?: boolean }): Promise<{ SupportRolling?: boolean; code: string }> {
  const { cp, from, to } = await controlPlane(compat);
  const mu = cp.modelUnits.create(unit).Id;
  const { Id } = cp.endpoints.create({ Name: 'bot', ModelReference: { CustomModelId: from }, ModelUnitId: mu });
  const endpoint = await cp.endpoints.get({ Id });
  const error = await cp.rollings.create({ EndpointId: Id, ModelReference: { CustomModelId: to }, DryRun: true }).catch((e: unknown) => e);
  return { SupportRolling: endpoint.SupportRolling, code: error instanceof ArkApiError ? error.code : String(error) };
}

describe('rolling eligibility in ark-local', () => {
  it.each<[string, Partial<ArkCompat>, { SupportRolling?: boolean }, boolean]>([
    ['the restrictive default', {}, {}, false],
    ['a unit created with SupportRolling', {}, { SupportRolling: true }, true],
    ['a server started with --rolling', { rolling: true }, {}, true],
    ['a unit created without it on a --rolling server', { rolling: true }, { SupportRolling: false }, false],
  ])('%s', async (_label, compat, unit, rolls) => {
    expect(await rollingVerdict(compat, unit)).toEqual({ SupportRolling: rolls, code: rolls ? 'DryRunOperation' : 'OperationDenied.RollingNotSupported' });
  });

  it('never rolls a foundation-model endpoint, even on a --rolling server', async () => {
    const { cp } = await controlPlane({ rolling: true });
    const { Id } = cp.endpoints.create({ Name: 'fm', ModelReference: { FoundationModel: { Name: 'doubao-seed-2-0-mini', ModelVersion: '260428' } } });
    expect((await cp.endpoints.get({ Id })).SupportRolling).toBe(false);
  });
});
