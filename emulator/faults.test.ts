import { ZodError } from 'zod';
import { FaultInjector, stripFields } from './faults';

function refusal(add: () => unknown): string | undefined {
  try {
    add();
    return undefined;
  } catch (error) {
    return error instanceof ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(error);
  }
}

describe('fault rules', () => {
  it('takes corrupt-body for TOS only, the one service whose bodies it damages', () => {
    const faults = new FaultInjector();
    expect(faults.add({ service: 'tos', operation: 'PutObject', kind: 'corrupt-body' }).kind).toBe('corrupt-body');
    expect(refusal(() => faults.add({ service: 'ark', kind: 'corrupt-body' }))).toBe('service: corrupt-body damages object and part bodies: expected service "tos"');
    expect(refusal(() => faults.add({ kind: 'corrupt-body' }))).toBe('service: corrupt-body damages object and part bodies: expected service "tos"');
  });

  it('takes strip-fields for Ark only, with the fields to leave out', () => {
    const faults = new FaultInjector();
    expect(faults.add({ service: 'ark', operation: 'GetCustomModel', kind: 'strip-fields', fields: ['CreateTime'] }).fields).toEqual(['CreateTime']);
    const reason = 'fields: strip-fields changes Ark answers: expected service "ark" and a non-empty "fields"';
    expect(refusal(() => faults.add({ service: 'tos', kind: 'strip-fields', fields: ['x'] }))).toBe(reason);
    expect(refusal(() => faults.add({ service: 'ark', kind: 'strip-fields' }))).toBe(reason);
  });
});

describe('stripFields', () => {
  it('leaves out dotted paths from a Result, or from every item of a page, without touching the original', () => {
    const endpoint = { Id: 'ep-1', Status: 'Running', ModelReference: { CustomModelId: 'cm-1' } };
    expect(stripFields(endpoint, ['Status', 'ModelReference.CustomModelId', 'No.Such'])).toEqual({ Id: 'ep-1', ModelReference: {} });
    expect(endpoint.Status).toBe('Running');
    expect(stripFields({ TotalCount: 2, Items: [endpoint, { ...endpoint, Id: 'ep-2' }] }, ['Status'])).toEqual({
      TotalCount: 2,
      Items: [
        { Id: 'ep-1', ModelReference: { CustomModelId: 'cm-1' } },
        { Id: 'ep-2', ModelReference: { CustomModelId: 'cm-1' } },
      ],
    });
  });
});
