import { parseTosLocation } from '../resources/custom-model/controller';
import { tosEndpointUrl, tosUri } from './tos';

describe('tosUri', () => {
  it('names an object, a directory and a bucket the way every message and location spells them', () => {
    expect(tosUri('models', 'sft/v3/config.json')).toBe('tos://models/sft/v3/config.json');
    expect(tosUri('models', 'sft/v3/')).toBe('tos://models/sft/v3/');
    expect(tosUri('models')).toBe('tos://models/');
  });

  it('builds the directory location that CustomModel reads back', () => {
    expect(parseTosLocation(tosUri('my-models', 'sft/v3/'))).toEqual({ bucket: 'my-models', prefix: 'sft/v3/' });
    expect(parseTosLocation(tosUri('my-models'))).toEqual({ bucket: 'my-models', prefix: '' });
  });
});

describe('tosEndpointUrl', () => {
  it('follows tosSecure', () => {
    expect(tosEndpointUrl({ tosEndpoint: 'tos-cn-beijing.volces.com', tosSecure: true })).toBe('https://tos-cn-beijing.volces.com');
    expect(tosEndpointUrl({ tosEndpoint: '127.0.0.1:9000', tosSecure: false })).toBe('http://127.0.0.1:9000');
  });
});
