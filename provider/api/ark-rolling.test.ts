import { parseResponse } from '../clients/ark/client';
import { ArkActions, type ArkResult } from './ark';
import {
  CreateEndpointRollingRequestSchema,
  createRollingRequest,
  GetEndpointRollingResultSchema,
  ROLLING_ID_PATTERN,
  RollingInfoSchema,
  rollingView,
} from './ark-rolling';
import { READ_NEEDS } from './read-needs';

/** A RollingInfo as ark-local writes it: every field present. */
const written = GetEndpointRollingResultSchema.parse({
  RollingInfo: {
    Id: 'eprol-20260907210505-vhglx',
    EndpointId: 'ep-20260907210000-abcde',
    Status: 'Running',
    RollingIn: { CustomModelId: 'cm-20260907200000-bbbbb' },
    RollingOut: { CustomModelId: 'cm-20260907200000-aaaaa' },
    RollingGray: 4,
    RollingStrategy: { Step: 2, WaitDuration: 1 },
    Description: 'd',
    StatusReason: 'r',
    CreateTime: '2026-09-07T21:05:05Z',
    UpdateTime: '2026-09-07T21:06:05Z',
  },
}).RollingInfo;

/**
 * GetEndpointRolling answers as the live record shows them (ark-api-2026.md F15): the fields of the third party's
 * Go struct, with the values it observed (a foundation-model switch of ep-20260907210357-l5bkt at 4%, then
 * Reverting 2% after Rollback; CreateTime/UpdateTime left out, the record does not show their form); the other one
 * is its test server's canned answer, which names nothing but the percent and the strategy.
 */
const LIVE_RUNNING = {
  Id: 'eprol-20260907210505-vhglx',
  EndpointId: 'ep-20260907210357-l5bkt',
  Status: 'Running',
  RollingIn: { Name: 'doubao-seed-2-0-mini', ModelVersion: '260428' },
  RollingOut: { Name: 'doubao-seed-2-0-mini', ModelVersion: '260215' },
  RollingGray: 4,
  RollingStrategy: { Step: 2, WaitDuration: 1 },
};
const LIVE_CANNED = { Id: 'eprol-test', EndpointId: 'ep-test', Status: 'Running', RollingGray: 4, RollingStrategy: { Step: 2, WaitDuration: 1 } };

/** The shape this project assumed before the record (and ark-local wrote until then). */
const OLDER = {
  Id: 'eprol-20250101000000-abcde',
  EndpointId: 'ep-20250101000000-abcde',
  Status: 'Completed',
  Progress: 100,
  CurrentStep: 2,
  Step: 2,
  WaitDuration: 1,
  FromModelReference: { CustomModelId: 'cm-20250101000000-aaaaa' },
  ToModelReference: { CustomModelId: 'cm-20250101000000-bbbbb' },
  CreateTime: '2025-01-01T00:00:00Z',
  UpdateTime: '2025-01-01T00:02:00Z',
};

function envelope(action: string, result: unknown) {
  return { status: 200, headers: {}, body: JSON.stringify({ ResponseMetadata: { RequestId: 'r', Action: action, Version: '2024-01-01' }, Result: result }) };
}

/** What the client makes of a GetEndpointRolling answer carrying `info` (throws ArkProtocolError when it cannot proceed). */
function read(info: Record<string, unknown>) {
  return parseResponse('GetEndpointRolling', envelope('GetEndpointRolling', { RollingInfo: info })) as ArkResult<'GetEndpointRolling'>;
}

describe('rolling wire contract', () => {
  it('builds the CreateEndpointRolling request of the record: no strategy, so the server defaults apply', () => {
    const request = createRollingRequest('ep-20250101000000-abcde', 'cm-20250101000000-fghij');
    expect(request).toEqual({ EndpointId: 'ep-20250101000000-abcde', ModelReference: { CustomModelId: 'cm-20250101000000-fghij' } });
    expect(CreateEndpointRollingRequestSchema.safeParse(request).success).toBe(true);
  });

  it('accepts the recorded foundation-model target and an optional RollingStrategy in the request, nothing else', () => {
    const foundation = { EndpointId: 'ep-1', ModelReference: { FoundationModel: { Name: 'doubao-seed-2-0-lite', ModelVersion: '260428' } }, Description: '', DryRun: true };
    expect(CreateEndpointRollingRequestSchema.safeParse(foundation).success).toBe(true);
    const paced = { ...createRollingRequest('ep-1', 'cm-1'), RollingStrategy: { Step: 50, WaitDuration: 600 } };
    expect(CreateEndpointRollingRequestSchema.safeParse(paced).success).toBe(true);
    for (const RollingStrategy of [{ Step: 0, WaitDuration: 1 }, { Step: 1.5, WaitDuration: 1 }, { Step: 2, WaitDuration: -1 }]) {
      expect(CreateEndpointRollingRequestSchema.safeParse({ ...paced, RollingStrategy }).success).toBe(false);
    }
    const both = { EndpointId: 'ep-1', ModelReference: { CustomModelId: 'cm-1', FoundationModel: { Name: 'n', ModelVersion: 'v' } } };
    expect(CreateEndpointRollingRequestSchema.safeParse(both).success).toBe(false);
  });

  it('is registered in the shared actions table', () => {
    expect(Object.keys(ArkActions)).toEqual(expect.arrayContaining(['CreateEndpointRolling', 'GetEndpointRolling', 'RollbackEndpointRolling', 'CancelEndpointRolling']));
  });

  it('writes RollingGray as an integer percent; Completed and Cancelled are no longer written', () => {
    expect(RollingInfoSchema.safeParse({ ...written, RollingGray: 101 }).success).toBe(false);
    expect(RollingInfoSchema.safeParse({ ...written, RollingGray: 2.5 }).success).toBe(false);
    for (const Status of ['Completed', 'Cancelled']) expect(RollingInfoSchema.safeParse({ ...written, Status }).success).toBe(false);
  });

  it('reads the live record: percent, strategy, foundation-model names (no custom-model target to name)', () => {
    expect(read(LIVE_RUNNING)).toEqual({ RollingInfo: LIVE_RUNNING });
    expect(rollingView(read(LIVE_RUNNING).RollingInfo)).toEqual({ id: LIVE_RUNNING.Id, status: 'Running', gray: 4, step: 2, waitMinutes: 1 });
    expect(rollingView(read({ ...LIVE_RUNNING, Status: 'Reverting', RollingGray: 2 }).RollingInfo)).toMatchObject({ status: 'Reverting', gray: 2 });
    expect(rollingView(read(LIVE_CANNED).RollingInfo)).toEqual({ id: 'eprol-test', status: 'Running', gray: 4, step: 2, waitMinutes: 1 });
  });

  it('reads what ark-local writes: the custom models in and out', () => {
    expect(rollingView(read(written).RollingInfo)).toEqual({
      id: written.Id,
      status: 'Running',
      gray: 4,
      target: 'cm-20260907200000-bbbbb',
      source: 'cm-20260907200000-aaaaa',
      step: 2,
      waitMinutes: 1,
      reason: 'r',
    });
  });

  it('reads the older names: Progress, From/ToModelReference, and Completed as 100%', () => {
    expect(rollingView(read(OLDER).RollingInfo)).toEqual({
      id: OLDER.Id,
      status: 'Completed',
      gray: 100,
      target: 'cm-20250101000000-bbbbb',
      source: 'cm-20250101000000-aaaaa',
    });
    const { Progress: _p, ...noProgress } = OLDER;
    expect(rollingView(read(noProgress).RollingInfo).gray).toBe(100);
    expect(rollingView(read({ ...OLDER, Status: 'Running', Progress: 50 }).RollingInfo).gray).toBe(50);
  });

  it('requires exactly the RollingInfo fields READ_NEEDS marks required (Id, Status), naming the missing one', () => {
    const required = Object.entries(READ_NEEDS.RollingInfo).filter(([, need]) => need === 'required').map(([field]) => field);
    expect(required).toEqual(['Id', 'Status']);
    // Every field ark-local writes is in the table (the older names are in it too, read as fallbacks).
    expect(Object.keys(READ_NEEDS.RollingInfo)).toEqual(expect.arrayContaining(Object.keys(written)));
    for (const field of Object.keys(written)) {
      const { [field]: _dropped, ...without } = written as Record<string, unknown>;
      if (required.includes(field)) expect(() => read(without)).toThrow(new RegExp(`RollingInfo\\.${field}:`));
      else expect(read(without)).toEqual({ RollingInfo: without });
    }
    // A status this code does not know is kept (the waiter waits through it), as are unknown fields.
    const later = { Id: 'eprol-20260907210505-vhglx', Status: 'Paused', Canary: true };
    expect(read(later)).toEqual({ RollingInfo: later });
    expect('eprol-20260907210505-vhglx').toMatch(ROLLING_ID_PATTERN);
  });

  it('reads the {Id} that Rollback and Cancel echo, and an older empty answer', () => {
    for (const action of ['RollbackEndpointRolling', 'CancelEndpointRolling'] as const) {
      expect(parseResponse(action, envelope(action, { Id: 'eprol-test' }))).toEqual({ Id: 'eprol-test' });
      expect(parseResponse(action, envelope(action, {}))).toEqual({});
      expect(ArkActions[action].result.parse({ Id: 'eprol-test' })).toEqual({ Id: 'eprol-test' });
    }
  });
});
