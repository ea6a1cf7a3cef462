import type { EndpointListItem } from '../../api/ark';
import { paymentTypesNote } from './checks';

const endpoint = (Id: string, extra: Partial<EndpointListItem>): EndpointListItem =>
  ({ Id, Name: Id, ModelReference: {}, Status: 'Running', CreateTime: 't', UpdateTime: 't', ...extra }) as EndpointListItem;

describe('doctor: PaymentType of the listed endpoints', () => {
  it.each([
    [
      'counts each value, saying which endpoints sit on a model unit',
      [endpoint('a', { PaymentType: 'ModelUnit', ModelUnitId: 'mu-1' }), endpoint('b', { PaymentType: 'ModelUnit', ModelUnitId: 'mu-2' }), endpoint('c', { PaymentType: 'Token' })],
      'PaymentType: 2 ModelUnit (on a model unit), 1 Token',
    ],
    ['reports a value it does not know as it is', [endpoint('a', { PaymentType: 'PrePaid', ModelUnitId: 'mu-1' }), endpoint('b', {})], 'PaymentType: 1 PrePaid (on a model unit), 1 not reported'],
    ['says when Ark reports none', [endpoint('a', {})], 'PaymentType: not reported on any endpoint'],
  ])('%s', (_name, endpoints, note) => {
    expect(paymentTypesNote(endpoints)).toBe(note);
  });
});
