import { ZodError } from 'zod';
import { FaultInjector } from './faults';

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
});
