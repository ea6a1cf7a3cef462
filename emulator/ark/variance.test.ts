import { parseCliArgs } from '../cli';
import { ResponseVariance, UNKNOWN_STATUS, UNKNOWN_STATUS_ANSWERS, VARIANCE_EXTRA_FIELD } from './variance';

const endpoint = (Status: string) => ({
  Id: 'ep-1',
  Name: 'e',
  Description: '',
  ProjectName: 'default',
  Tags: [{ Key: 'team', Value: '' }],
  ModelReference: { CustomModelId: 'cm-1' },
  EndpointModelType: 'CustomModel',
  Status,
  RateLimit: { Rpm: 1, Tpm: 2 },
  SupportRolling: false,
  CreateTime: 't',
  UpdateTime: 't',
});

describe('ResponseVariance', () => {
  it('answers unchanged when off', () => {
    const v = new ResponseVariance(false);
    expect(v.vary('GetEndpoint', endpoint('Running'))).toEqual({ omitResult: false, result: endpoint('Running') });
    expect(v.vary('DeleteEndpoint', {})).toEqual({ omitResult: false, result: {} });
  });

  it('adds an unknown field, leaves out empty optional ones, omits empty Results', () => {
    const v = new ResponseVariance(true);
    const { result } = v.vary('GetEndpoint', endpoint('Running')) as { result: Record<string, unknown> };
    expect(result).toEqual({
      Id: 'ep-1',
      Name: 'e',
      Tags: [{ Key: 'team' }],
      ModelReference: { CustomModelId: 'cm-1' },
      Status: UNKNOWN_STATUS.endpoint,
      RateLimit: { Rpm: 1, Tpm: 2 },
      CreateTime: 't',
      UpdateTime: 't',
      [VARIANCE_EXTRA_FIELD]: { Kind: 'endpoint' },
    });
    expect(v.vary('DeleteCustomModel', {})).toEqual({ omitResult: true });
    const page = v.vary('ListEndpoints', { TotalCount: 1, PageNumber: 1, PageSize: 10, Items: [endpoint('Running')] }) as { result: { Items: Record<string, unknown>[] } };
    expect(Object.keys(page.result).sort()).toEqual([VARIANCE_EXTRA_FIELD, 'Items'].sort());
    expect(page.result.Items[0]!.RateLimit).toBeUndefined();
  });

  it('shows an unknown status before the known one: at first sight and in each new transitional phase', () => {
    const v = new ResponseVariance(true);
    const status = (s: string) => (v.vary('GetEndpoint', endpoint(s)) as { result: { Status: string } }).result.Status;
    const seen = ['Scheduling', 'Scheduling', 'Scheduling', 'Running', 'Stopped', 'Scheduling', 'Scheduling', 'Scheduling', 'Running'].map(status);
    const U = UNKNOWN_STATUS.endpoint;
    expect(UNKNOWN_STATUS_ANSWERS).toBe(2);
    expect(seen).toEqual([U, U, 'Scheduling', 'Running', 'Stopped', U, U, 'Scheduling', 'Running']);
  });

  it('invents no Status for an answer that has none (GetCustomModel by default)', () => {
    const v = new ResponseVariance(true);
    const model = { Id: 'cm-1', Name: 'm', CreateTime: 't', UpdateTime: 't' };
    for (let i = 0; i < 3; i++) expect((v.vary('GetCustomModel', model) as { result: Record<string, unknown> }).result).not.toHaveProperty('Status');
  });

  it('reset restores the start-up setting and forgets what was shown', () => {
    const v = new ResponseVariance(false);
    v.setEnabled(true);
    v.vary('GetEndpoint', endpoint('Running'));
    v.reset();
    expect(v.isEnabled()).toBe(false);
    v.setEnabled(true);
    expect((v.vary('GetEndpoint', endpoint('Running')) as { result: { Status: string } }).result.Status).toBe(UNKNOWN_STATUS.endpoint);
  });

  it('is switched on by ark-local --variance', () => {
    expect(parseCliArgs(['--variance'])).toMatchObject({ variance: true });
    expect(parseCliArgs([])).not.toHaveProperty('variance');
  });
});
