import { resolveSettings, SettingsError, type StackConfig } from './settings';

const CONFIG_KEYS: StackConfig = { accessKey: 'AK-config', secretKey: 'SK-config' };

describe('resolveSettings', () => {
  it('defaults to the public Beijing hosts when only credentials are given', () => {
    expect(resolveSettings(CONFIG_KEYS, {})).toEqual({
      region: 'cn-beijing',
      accessKeyId: 'AK-config',
      secretAccessKey: 'SK-config',
      arkEndpoint: 'https://ark.cn-beijing.volcengineapi.com',
      tosEndpoint: 'tos-cn-beijing.volces.com',
      tosSecure: true,
      chatBaseUrl: 'https://ark.cn-beijing.volces.com/api/v3',
      hubEndpoint: 'https://huggingface.co',
      sources: {
        region: 'the default region',
        credentials: 'stack config ark:accessKey / ark:secretKey',
        arkEndpoint: 'the default for region cn-beijing (ark:region / VOLCENGINE_REGION)',
        tosEndpoint: 'the default for region cn-beijing (ark:region / VOLCENGINE_REGION)',
        chatBaseUrl: 'the default for region cn-beijing (ark:region / VOLCENGINE_REGION)',
        hubEndpoint: 'the default (https://huggingface.co)',
        hubToken: 'not set (anonymous; ark:hubToken, HF_TOKEN, HUGGING_FACE_HUB_TOKEN)',
      },
    });
  });

  it('names the setting each value came from', () => {
    const s = resolveSettings({ endpoint: 'http://127.0.0.1:9000' }, { VOLC_ACCESSKEY: 'AK', VOLC_SECRETKEY: 'SK', ARK_TOS_ENDPOINT: '127.0.0.1:9000' });
    expect(s.sources).toMatchObject({
      credentials: 'environment variables VOLC_ACCESSKEY / VOLC_SECRETKEY',
      arkEndpoint: 'stack config ark:endpoint',
      tosEndpoint: 'environment variable ARK_TOS_ENDPOINT',
    });
  });

  it.each([
    ['stack config first', { hubEndpoint: 'https://hub.internal/', hubToken: 'hf_config' }, { HF_ENDPOINT: 'https://hf-mirror.com', HF_TOKEN: 'hf_env' }, ['https://hub.internal', 'hf_config'], ['stack config ark:hubEndpoint', 'stack config ark:hubToken']],
    ['then HF_ENDPOINT and HF_TOKEN', {}, { HF_ENDPOINT: 'https://hf-mirror.com', HF_TOKEN: 'hf_env', HUGGING_FACE_HUB_TOKEN: 'hf_old' }, ['https://hf-mirror.com', 'hf_env'], ['environment variable HF_ENDPOINT', 'environment variable HF_TOKEN']],
    ['then HUGGING_FACE_HUB_TOKEN', { hubToken: ' ' }, { HUGGING_FACE_HUB_TOKEN: 'hf_old' }, ['https://huggingface.co', 'hf_old'], ['the default (https://huggingface.co)', 'environment variable HUGGING_FACE_HUB_TOKEN']],
  ])('hub endpoint and token: %s, and the sources never hold the token', (_name, config: StackConfig, env: Record<string, string>, [endpoint, token], [endpointSource, tokenSource]) => {
    const s = resolveSettings({ ...CONFIG_KEYS, ...config }, env);
    expect([s.hubEndpoint, s.hubToken]).toEqual([endpoint, token]);
    expect([s.sources?.hubEndpoint, s.sources?.hubToken]).toEqual([endpointSource, tokenSource]);
    expect(JSON.stringify(s.sources)).not.toContain(token);
  });

  it('refuses a hub endpoint that is not an http(s) URL, but leaves the token form to the hub source', () => {
    expect(() => resolveSettings({ ...CONFIG_KEYS, hubEndpoint: 'hf-mirror.com' }, {})).toThrow(/ark:hubEndpoint \/ HF_ENDPOINT must be an http\(s\) URL/);
    expect(resolveSettings(CONFIG_KEYS, { HF_TOKEN: 'not-hf-prefixed' }).hubToken).toBe('not-hf-prefixed');
  });

  it('derives the default hosts from the region', () => {
    const s = resolveSettings({ ...CONFIG_KEYS, region: 'cn-shanghai' }, {});
    expect([s.arkEndpoint, s.tosEndpoint, s.chatBaseUrl]).toEqual([
      'https://ark.cn-shanghai.volcengineapi.com',
      'tos-cn-shanghai.volces.com',
      'https://ark.cn-shanghai.volces.com/api/v3',
    ]);
  });

  it.each([
    ['stack config wins over every environment variable', CONFIG_KEYS, { VOLCENGINE_ACCESS_KEY: 'AK-env', VOLCENGINE_SECRET_KEY: 'SK-env' }, 'AK-config'],
    ['VOLCENGINE_* when there is no stack config', {}, { VOLCENGINE_ACCESS_KEY: 'AK-env', VOLCENGINE_SECRET_KEY: 'SK-env', VOLC_ACCESSKEY: 'AK-volc', VOLC_SECRETKEY: 'SK-volc' }, 'AK-env'],
    ['VOLC_* as the last source', {}, { VOLC_ACCESSKEY: 'AK-volc', VOLC_SECRETKEY: 'SK-volc' }, 'AK-volc'],
    ['blank config values count as unset', { accessKey: ' ', secretKey: '' }, { VOLC_ACCESSKEY: 'AK-volc', VOLC_SECRETKEY: 'SK-volc' }, 'AK-volc'],
  ])('credentials: %s', (_name, config: StackConfig, env: Record<string, string>, expectedAk) => {
    expect(resolveSettings(config, env).accessKeyId).toBe(expectedAk);
  });

  it('names both ways to provide credentials when none are set', () => {
    expect(() => resolveSettings({}, {})).toThrow(SettingsError);
    expect(() => resolveSettings({}, {})).toThrow(/`pulumi config set --secret ark:accessKey <AK>` and `pulumi config set --secret ark:secretKey <SK>`.*VOLCENGINE_ACCESS_KEY and VOLCENGINE_SECRET_KEY/s);
  });

  it.each([
    [{ accessKey: 'AK' }, {}, /stack config ark:accessKey is set but stack config ark:secretKey is empty or missing/],
    [{}, { VOLCENGINE_SECRET_KEY: 'SK' }, /VOLCENGINE_SECRET_KEY is set but environment variable VOLCENGINE_ACCESS_KEY/],
  ])('a half-set credential pair names the missing half (%j %j)', (config: StackConfig, env: Record<string, string>, message) => {
    expect(() => resolveSettings(config, env)).toThrow(message);
  });

  it('takes endpoints from the environment when the stack config has none', () => {
    const s = resolveSettings(CONFIG_KEYS, {
      ARK_ENDPOINT: 'http://127.0.0.1:9000/',
      ARK_TOS_ENDPOINT: '127.0.0.1:9000',
      ARK_CHAT_BASE_URL: 'http://127.0.0.1:9000/api/v3',
      VOLCENGINE_REGION: 'cn-shanghai',
    });
    expect(s).toMatchObject({
      region: 'cn-shanghai',
      arkEndpoint: 'http://127.0.0.1:9000',
      tosEndpoint: '127.0.0.1:9000',
      tosSecure: false, // a bare TOS host follows the Ark endpoint's scheme
      chatBaseUrl: 'http://127.0.0.1:9000/api/v3',
    });
  });

  it('stack config endpoints win over the environment; a TOS scheme decides the secure flag', () => {
    const s = resolveSettings(
      { ...CONFIG_KEYS, endpoint: 'http://ark.internal:80', tosEndpoint: 'https://tos.internal:8443' },
      { ARK_ENDPOINT: 'http://ignored:1', ARK_TOS_ENDPOINT: 'ignored:1' },
    );
    expect(s).toMatchObject({ arkEndpoint: 'http://ark.internal:80', tosEndpoint: 'tos.internal:8443', tosSecure: true });
  });

  it.each([
    [{ endpoint: 'ark.example.com' }, /ark:endpoint \/ ARK_ENDPOINT must be an http\(s\) URL.*found "ark.example.com"/],
    [{ endpoint: 'ftp://ark.example.com' }, /must use http or https; found "ftp:\/\/ark.example.com"/],
    [{ tosEndpoint: 'tos host' }, /ark:tosEndpoint \/ ARK_TOS_ENDPOINT must be host\[:port\] or an http\(s\) URL; found "tos host"/],
    [{ tosEndpoint: 'http://127.0.0.1:9000/bucket' }, /must not have a path.*found "http:\/\/127.0.0.1:9000\/bucket"/],
    [{ chatBaseUrl: 'not a url' }, /ark:chatBaseUrl \/ ARK_CHAT_BASE_URL must be an http\(s\) URL/],
  ])('rejects a malformed endpoint %j', (config: StackConfig, message) => {
    expect(() => resolveSettings({ ...CONFIG_KEYS, ...config }, {})).toThrow(message);
  });
});
