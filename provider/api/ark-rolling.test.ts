import { parseResponse } from '../clients/ark/client';
import { ArkActions } from './ark';
import { CreateEndpointRollingRequestSchema, createRollingRequest, GetEndpointRollingResultSchema, ROLLING_ID_PATTERN } from './ark-rolling';
import { READ_NEEDS } from './read-needs';

/** A RollingInfo as ark-local writes it: every field present. */
const written = GetEndpointRollingResultSchema.parse({
  RollingInfo: {
    Id: 'eprol-20260907210505-vhglx',
    EndpointId: 'ep-20260907210000-abcde',
    Status: 'Running',
    Progress: 50,
    CurrentStep: 1,
    Step: 2,
    WaitDuration: 1,
    FromModelReference: { CustomModelId: 'cm-20260907200000-aaaaa' },
    ToModelReference: { CustomModelId: 'cm-20260907200000-bbbbb' },
    Description: 'd',
    StatusReason: 'r',
    CreateTime: '2026-09-07T21:05:05Z',
    UpdateTime: '2026-09-07T21:06:05Z',
  },
}).RollingInfo;

/** What the client makes of a GetEndpointRolling answer carrying `info` (throws ArkProtocolError when it cannot proceed). */
function read(info: Record<string, unknown>) {
  const body = { ResponseMetadata: { RequestId: 'r', Action: 'GetEndpointRolling', Version: '2024-01-01' }, Result: { RollingInfo: info } };
  return parseResponse('GetEndpointRolling', { status: 200, headers: {}, body: JSON.stringify(body) });
}

describe('rolling wire contract', () => {
  it('builds the CreateEndpointRolling request with the server defaults spelled out', () => {
    const request = createRollingRequest('ep-20250101000000-abcde', 'cm-20250101000000-fghij');
    expect(request).toEqual({ EndpointId: 'ep-20250101000000-abcde', ModelReference: { CustomModelId: 'cm-20250101000000-fghij' }, Step: 2, WaitDuration: 1 });
    expect(CreateEndpointRollingRequestSchema.safeParse(request).success).toBe(true);
  });

  it('is registered in the shared actions table', () => {
    expect(Object.keys(ArkActions)).toEqual(expect.arrayContaining(['CreateEndpointRolling', 'GetEndpointRolling', 'RollbackEndpointRolling', 'CancelEndpointRolling']));
  });

  it('reads a RollingInfo with a status and fields it does not know, and refuses one without the target', () => {
    const read = ArkActions.GetEndpointRolling.read;
    const later = { RollingInfo: { Id: 'eprol-20260907210505-vhglx', Status: 'Paused', ToModelReference: { CustomModelId: 'cm-1' }, Canary: true } };
    expect(read.parse(later)).toEqual(later);
    expect(read.safeParse({ RollingInfo: { Id: 'eprol-20260907210505-vhglx', Status: 'Running' } }).success).toBe(false);
    expect('eprol-20260907210505-vhglx').toMatch(ROLLING_ID_PATTERN);
  });

  it('requires exactly the RollingInfo fields READ_NEEDS marks required, naming the missing one', () => {
    // The table and the writer name the same fields, so no field escapes the table.
    expect(Object.keys(READ_NEEDS.RollingInfo).sort()).toEqual(Object.keys(written).sort());
    for (const [field, need] of Object.entries(READ_NEEDS.RollingInfo)) {
      const { [field]: _dropped, ...without } = written as Record<string, unknown>;
      if (need === 'required') expect(() => read(without)).toThrow(new RegExp(`RollingInfo\\.${field}:`));
      else expect(read(without)).toEqual({ RollingInfo: without });
    }
    const { CustomModelId: _id, ...noTarget } = written.ToModelReference;
    expect(() => read({ ...written, ToModelReference: noTarget })).toThrow(/RollingInfo\.ToModelReference\.CustomModelId:/);
  });

  it('checks only the types of fields no source gives limits for', () => {
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 0 }).success).toBe(false);
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 1.5 }).success).toBe(false);
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 50, WaitDuration: 600 }).success).toBe(true);
  });
});
