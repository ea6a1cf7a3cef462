import type { ProviderSettings, SettingSources } from './resources/controller';

/**
 * Stack configuration the dynamic provider receives through `configure` (the `ark:*` keys, namespace stripped).
 * Secret values arrive in plaintext inside the provider process; they are held in memory only.
 */
export interface StackConfig {
  accessKey?: string;
  secretKey?: string;
  region?: string;
  endpoint?: string;
  tosEndpoint?: string;
  chatBaseUrl?: string;
  /** Base URL of the Hugging Face–compatible hub `hf://` sources come from. */
  hubEndpoint?: string;
  /** Hub access token (a secret). */
  hubToken?: string;
}

/** The `ark:<key>` names settings read; the dynamic shim hands them over in this order (a unit test holds them equal). */
export const STACK_CONFIG_KEYS = ['accessKey', 'secretKey', 'region', 'endpoint', 'tosEndpoint', 'chatBaseUrl', 'hubEndpoint', 'hubToken'] as const;

export const DEFAULT_REGION = 'cn-beijing';

/** The public Hugging Face Hub, used when neither ark:hubEndpoint nor HF_ENDPOINT names another. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/** Where a hub token may come from after the stack config, in order (the names huggingface_hub reads). */
const ENV_HUB_TOKENS = ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN'] as const;

/** Credential sources tried in order; the first source that sets either key must set both. */
const ENV_CREDENTIAL_PAIRS = [
  ['VOLCENGINE_ACCESS_KEY', 'VOLCENGINE_SECRET_KEY'],
  ['VOLC_ACCESSKEY', 'VOLC_SECRETKEY'],
] as const;

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves credentials and endpoints. Called for every controller operation (never cached), so a changed
 * stack config or environment takes effect on the next call and nothing is ever frozen into state.
 *
 * Precedence per value: stack config `ark:*`, then the environment, then the public Ark hosts of the region.
 */
export function resolveSettings(config: StackConfig, env: Env): ProviderSettings {
  const regionValue = pick(config.region, 'region', env, 'VOLCENGINE_REGION', DEFAULT_REGION, 'the default region');
  const region = regionValue.value;
  const regionDefault = `the default for region ${region} (ark:region / VOLCENGINE_REGION)`;
  const { accessKeyId, secretAccessKey, source: credentials } = resolveCredentials(config, env);
  const ark = pick(config.endpoint, 'endpoint', env, 'ARK_ENDPOINT', `https://ark.${region}.volcengineapi.com`, regionDefault);
  const arkEndpoint = httpUrl(ark.value, 'ark:endpoint / ARK_ENDPOINT');
  const chat = pick(config.chatBaseUrl, 'chatBaseUrl', env, 'ARK_CHAT_BASE_URL', `https://ark.${region}.volces.com/api/v3`, regionDefault);
  const chatBaseUrl = httpUrl(chat.value, 'ark:chatBaseUrl / ARK_CHAT_BASE_URL');
  const tosValue = pick(config.tosEndpoint, 'tosEndpoint', env, 'ARK_TOS_ENDPOINT', `tos-${region}.volces.com`, regionDefault);
  const tos = tosEndpoint(tosValue.value, arkEndpoint);
  const hub = pick(config.hubEndpoint, 'hubEndpoint', env, 'HF_ENDPOINT', DEFAULT_HUB_ENDPOINT, `the default (${DEFAULT_HUB_ENDPOINT})`);
  const hubEndpoint = httpUrl(hub.value, 'ark:hubEndpoint / HF_ENDPOINT');
  const hubToken = resolveHubToken(config, env);
  const sources: SettingSources = {
    region: regionValue.source,
    credentials,
    arkEndpoint: ark.source,
    tosEndpoint: tosValue.source,
    chatBaseUrl: chat.source,
    hubEndpoint: hub.source,
    hubToken: hubToken.source,
  };
  return {
    region,
    accessKeyId,
    secretAccessKey,
    arkEndpoint,
    tosEndpoint: tos.host,
    tosSecure: tos.secure,
    chatBaseUrl,
    hubEndpoint,
    ...(hubToken.value ? { hubToken: hubToken.value } : {}),
    sources,
  };
}

/**
 * The hub token and the words naming its source (never the token). Its form is not checked here: settings are
 * resolved for every call, and a malformed HF_TOKEN left in the environment must not fail resources that never
 * read from a hub; the hub source reports it when it is used.
 */
function resolveHubToken(config: StackConfig, env: Env): { value?: string; source: string } {
  const fromConfig = present(config.hubToken);
  if (fromConfig) return { value: fromConfig, source: 'stack config ark:hubToken' };
  for (const name of ENV_HUB_TOKENS) {
    const fromEnv = present(env[name]);
    if (fromEnv) return { value: fromEnv, source: `environment variable ${name}` };
  }
  return { source: `not set (anonymous; ark:hubToken, ${ENV_HUB_TOKENS.join(', ')})` };
}

/** One value by precedence (stack config, environment, default) and the words naming where it came from. */
function pick(configValue: string | undefined, key: string, env: Env, envName: string, fallback: string, fallbackSource: string) {
  const fromConfig = present(configValue);
  if (fromConfig) return { value: fromConfig, source: `stack config ark:${key}` };
  const fromEnv = present(env[envName]);
  if (fromEnv) return { value: fromEnv, source: `environment variable ${envName}` };
  return { value: fallback, source: fallbackSource };
}

function resolveCredentials(config: StackConfig, env: Env): { accessKeyId: string; secretAccessKey: string; source: string } {
  const fromConfig = pair(config.accessKey, config.secretKey, 'stack config ark:accessKey', 'stack config ark:secretKey');
  if (fromConfig) return { ...fromConfig, source: 'stack config ark:accessKey / ark:secretKey' };
  for (const [akName, skName] of ENV_CREDENTIAL_PAIRS) {
    const fromEnv = pair(env[akName], env[skName], `environment variable ${akName}`, `environment variable ${skName}`);
    if (fromEnv) return { ...fromEnv, source: `environment variables ${akName} / ${skName}` };
  }
  throw new SettingsError(
    'Ark credentials are not set: found neither stack config nor environment variables. Either run ' +
      '`pulumi config set --secret ark:accessKey <AK>` and `pulumi config set --secret ark:secretKey <SK>`, or export ' +
      'VOLCENGINE_ACCESS_KEY and VOLCENGINE_SECRET_KEY (VOLC_ACCESSKEY and VOLC_SECRETKEY are accepted too).',
  );
}

/** A source counts when it sets either key; then it must set both, or the user gets told which one is missing. */
function pair(ak: string | undefined, sk: string | undefined, akName: string, skName: string) {
  const accessKeyId = present(ak);
  const secretAccessKey = present(sk);
  if (!accessKeyId && !secretAccessKey) return undefined;
  if (!accessKeyId) throw new SettingsError(`Ark credentials are incomplete: ${skName} is set but ${akName} is empty or missing.`);
  if (!secretAccessKey) throw new SettingsError(`Ark credentials are incomplete: ${akName} is set but ${skName} is empty or missing.`);
  return { accessKeyId, secretAccessKey };
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function httpUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new SettingsError(`${source} must be an http(s) URL such as https://ark.cn-beijing.volcengineapi.com; found "${value}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SettingsError(`${source} must use http or https; found "${value}".`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The TOS SDK wants a bare `host[:port]` plus a secure flag. An explicit scheme decides the flag; a bare host
 * follows the Ark endpoint's scheme, so pointing both at one ark-local (`http://127.0.0.1:9000` and
 * `127.0.0.1:9000`) works without repeating the scheme.
 */
function tosEndpoint(value: string, arkEndpoint: string): { host: string; secure: boolean } {
  const withScheme = /^[a-z]+:\/\//i.test(value);
  if (!withScheme) {
    if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(value)) {
      throw new SettingsError(`ark:tosEndpoint / ARK_TOS_ENDPOINT must be host[:port] or an http(s) URL; found "${value}".`);
    }
    return { host: value, secure: new URL(arkEndpoint).protocol === 'https:' };
  }
  const url = new URL(httpUrl(value, 'ark:tosEndpoint / ARK_TOS_ENDPOINT'));
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new SettingsError(`ark:tosEndpoint / ARK_TOS_ENDPOINT must not have a path (TOS addresses buckets by host); found "${value}".`);
  }
  return { host: url.host, secure: url.protocol === 'https:' };
}
