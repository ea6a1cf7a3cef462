import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { banner, parseCliArgs, type BannerFacts } from './cli';
import { startArkLocal } from './index';
import { DEFAULT_CREDENTIAL, type EmulatorCredential } from './options';

function options(argv: string[]) {
  const opts = parseCliArgs(argv);
  if (opts === 'help') throw new Error('unexpected help');
  return opts;
}

const facts = (credential: EmulatorCredential = DEFAULT_CREDENTIAL): BannerFacts => ({
  url: 'http://127.0.0.1:9000',
  tosEndpoint: '127.0.0.1:9000',
  chatBaseUrl: 'http://127.0.0.1:9000/api/v3',
  hubUrl: 'http://127.0.0.1:9000/_hub',
  hubToken: 'hf_arklocal0000000000000000000000000000',
  apiKey: 'ark-local-api-key',
  credential,
  region: 'cn-beijing',
});

describe('ark-local options', () => {
  it('takes the restrictive readings by default and each permissive one by its flag', () => {
    expect(options([]).compat).toBeUndefined();
    expect(options(['--unit-slots', '2', '--rolling', '--custom-model-status-on-get']).compat).toEqual({ unitSlots: 2, rolling: true, customModelStatusOnGet: true });
    expect(() => options(['--unit-slots', '0'])).toThrow('--unit-slots "0" is not a whole number from 1 to 1000');
  });
});

describe('ark-local banner', () => {
  it('prints the built-in development secret key, which is public anyway', () => {
    const text = banner(facts(), options([]));
    expect(text).toContain(`pulumi config set --secret ark:secretKey ${DEFAULT_CREDENTIAL.secretAccessKey}`);
    expect(text).toMatch(/Access key: +AKLTarklocal +\(the built-in development key\)/);
  });

  it('names the hub URL and token as the environment variables hub clients read', () => {
    expect(banner(facts(), options([]))).toContain('  export HF_ENDPOINT=http://127.0.0.1:9000/_hub HF_TOKEN=hf_arklocal0000000000000000000000000000');
  });

  it('never prints a secret key given with --secret-key, and says where it came from', () => {
    const opts = options(['--access-key', 'AKLTmine', '--secret-key', 'my-own-secret']);
    const text = banner(facts(opts.credentials![0]), opts);
    expect(text).not.toContain('my-own-secret');
    expect(text).toMatch(/Access key: +AKLTmine +\(from --access-key\)/);
    expect(text).toMatch(/Secret key: +from --secret-key, not printed/);
    expect(text).toContain('pulumi config set --secret ark:secretKey <the key you gave with --secret-key>');
  });

  it('shows the exact command that creates a model unit, and that command works', async () => {
    const ark = await startArkLocal({ quiet: true });
    try {
      const command = banner(ark, options(['--memory'])).split('\n').find((line) => line.includes('/_ark-local/model-units'));
      expect(command).toContain(`curl -s -X POST ${ark.url}/_ark-local/model-units -H 'content-type: application/json' -d '{"Name":"dev"}'`);
      // Asynchronously: the server answering curl runs in this process.
      const created = JSON.parse((await promisify(execFile)('bash', ['-c', command!])).stdout) as { Id: string };
      expect(created.Id).toMatch(/^mu-/);
      expect((await ark.admin.listModelUnits()).map((unit) => unit.Name)).toEqual(['dev']);
    } finally {
      await ark.close();
    }
  });
});
