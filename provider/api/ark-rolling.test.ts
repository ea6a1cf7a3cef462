import { ArkActions } from './ark';
import { CreateEndpointRollingRequestSchema, createRollingRequest, ROLLING_ID_PATTERN } from './ark-rolling';

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

  it('checks only the types of fields no source gives limits for', () => {
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 0 }).success).toBe(false);
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 1.5 }).success).toBe(false);
    expect(CreateEndpointRollingRequestSchema.safeParse({ ...createRollingRequest('ep-1', 'cm-1'), Step: 50, WaitDuration: 600 }).success).toBe(true);
  });
});
