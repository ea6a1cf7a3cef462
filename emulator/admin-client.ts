import type { CustomModelWire as CustomModel, Endpoint } from '../provider/api/ark';
import type { RollingInfo } from '../provider/api/ark-rolling';
import type { TosSummary } from './admin/schemas';
import type { FaultRule, FaultRuleInput } from './faults';
import type { HubCommitView, HubRepoView } from './hub/views';
import type { ModelUnitView } from './state/control-plane';
import type { TransitionPolicy } from './state/transitions';

export type ModelUnit = ModelUnitView;

export interface ArkLocalState {
  endpoints: Endpoint[];
  customModels: CustomModel[];
  modelUnits: ModelUnit[];
  apiKeys: number;
  rollings: RollingInfo[];
  transitions: TransitionPolicy;
  variance: boolean;
  faults: FaultRule[];
  tos: TosSummary;
  hub: { repos: HubRepoView[] };
}

export type { HubCommitView, HubRepoView } from './hub/views';

/** A new commit of a hub repo: a directory on the ark-local machine and/or small inline files on top. */
export interface HubCommitInput {
  /** Default `main`. */
  branch?: string;
  /** Absolute path on the ark-local machine; its files are the commit's tree (read from disk when served). */
  directory?: string;
  /** Inline files (path -> bytes or UTF-8 text), on top of `directory` or of the branch's current tree. */
  files?: Record<string, Buffer | string>;
  /** Paths removed from the branch's current tree. */
  delete?: string[];
  message?: string;
}

export interface SeededObject {
  Bucket: string;
  Key: string;
  Size: number;
  ETag: string;
  HashCrc64ecma: string;
}

export class ArkLocalAdminError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ArkLocalAdminError';
  }
}

/**
 * Client of ark-local's admin routes (`/_ark-local/*`, unauthenticated, local only): plain fetch, usable from
 * tests, the demo and a user's scripts. `baseUrl` is the emulator's url, e.g. `http://127.0.0.1:9000`.
 */
export class ArkLocalAdmin {
  constructor(readonly baseUrl: string) {}

  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }

  async getTransitions(): Promise<TransitionPolicy> {
    return (await this.call<{ policy: TransitionPolicy }>('GET', 'transitions')).policy;
  }

  async setTransitions(policy: TransitionPolicy): Promise<void> {
    await this.call('PUT', 'transitions', policy);
  }

  /** Variance mode (emulator/ark/variance.ts): answers with unknown fields, absent optional ones, unknown statuses. */
  async setVariance(enabled: boolean): Promise<void> {
    await this.call('PUT', 'variance', { enabled });
  }

  async getVariance(): Promise<boolean> {
    return (await this.call<{ enabled: boolean }>('GET', 'variance')).enabled;
  }

  async addFault(rule: FaultRuleInput): Promise<FaultRule> {
    return this.call<FaultRule>('POST', 'faults', rule);
  }

  async listFaults(): Promise<FaultRule[]> {
    return (await this.call<{ faults: FaultRule[] }>('GET', 'faults')).faults;
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', 'faults');
  }

  /**
   * A model unit, as bought in the console; `failWith` makes its endpoints end Abnormal with that reason, and
   * `supportRolling` lets its custom-model endpoints roll to another model (default: the server's `--rolling`, off).
   */
  async createModelUnit(input: { name?: string; slots?: number; failWith?: string; supportRolling?: boolean } = {}): Promise<ModelUnit> {
    return this.call<ModelUnit>('POST', 'model-units', { Name: input.name, Slots: input.slots, FailWith: input.failWith, SupportRolling: input.supportRolling });
  }

  /** Reclaims a unit as Ark does (unsubscribed, overdue, idle): it goes away and its endpoints go Abnormal for good. */
  async reclaimModelUnit(id: string, reason?: string): Promise<{ Id: string; EndpointIds: string[] }> {
    return this.call('POST', `model-units/${encodeURIComponent(id)}/reclaim`, { Reason: reason });
  }

  async listModelUnits(): Promise<ModelUnit[]> {
    return (await this.call<{ modelUnits: ModelUnit[] }>('GET', 'model-units')).modelUnits;
  }

  /** Forces the endpoint Abnormal with `reason` as StatusReason. */
  async failEndpoint(id: string, reason: string): Promise<Endpoint> {
    return this.call<Endpoint>('POST', `endpoints/${encodeURIComponent(id)}/fail`, { Reason: reason });
  }

  /**
   * Arms a failure for the next rollout started (CreateEndpointRolling on `endpointId`, or on any endpoint): it
   * turns Failed with `reason` once the new model's traffic share reaches `atPercent`.
   */
  async failNextRollout(input: { atPercent: number; reason?: string; endpointId?: string }): Promise<{ AtPercent: number; Reason: string; EndpointId?: string }> {
    return this.call('POST', 'rollings/fail-next', { AtPercent: input.atPercent, Reason: input.reason, EndpointId: input.endpointId });
  }

  /**
   * A TOS bucket in `region`, owned by `account` when given (another account than ark-local's own: ark-local's
   * keys then get 403 AccessDenied on it). What CreateBucket cannot do: its region is the signing region.
   */
  async createBucket(input: { name: string; region: string; account?: string }): Promise<{ Name: string; Region: string; Account: string }> {
    return this.call('POST', 'tos/buckets', { Name: input.name, Region: input.region, Account: input.account });
  }

  /**
   * A TOS object of `size` bytes: `head` (e.g. a real safetensors header), then zeros that are never stored, so
   * a 16 GiB model file costs nothing. Its CRC64 is exact; its ETag is a stand-in (not the MD5 of the bytes).
   */
  async seedObject(input: { bucket: string; key: string; size: number; head: Uint8Array; meta?: Record<string, string> }): Promise<SeededObject> {
    return this.call<SeededObject>('POST', 'tos/objects', {
      Bucket: input.bucket,
      Key: input.key,
      Size: input.size,
      HeadBase64: Buffer.from(input.head).toString('base64'),
      Meta: input.meta,
    });
  }

  /** Publishes a commit to a branch of a hub repo (made when new); the answer names the commit and its files. */
  async publishHubCommit(repo: string, input: HubCommitInput): Promise<HubCommitView> {
    return this.call<HubCommitView>('POST', `hub/repos/${repo}/commits`, {
      Branch: input.branch,
      Directory: input.directory,
      Files: input.files && Object.entries(input.files).map(([Path, content]) => ({ Path, ContentBase64: Buffer.from(content).toString('base64') })),
      Delete: input.delete,
      Message: input.message,
    });
  }

  /** Makes a hub repo private (readable with `tokens`, default every hub token ark-local accepts) or public. */
  async setHubRepoAccess(repo: string, access: { private: boolean; tokens?: string[] }): Promise<HubRepoView> {
    return this.call<HubRepoView>('PUT', `hub/repos/${repo}/access`, { Private: access.private, Tokens: access.tokens });
  }

  async listHubRepos(): Promise<HubRepoView[]> {
    return (await this.call<{ repos: HubRepoView[] }>('GET', 'hub/repos')).repos;
  }

  /** Response body bytes ark-local has sent since it started, per service (what clients read from TOS, the hub…). */
  async traffic(): Promise<Record<'ark' | 'tos' | 'chat' | 'admin' | 'hub', number>> {
    return (await this.call<{ ServedBytes: Record<'ark' | 'tos' | 'chat' | 'admin' | 'hub', number> }>('GET', 'traffic')).ServedBytes;
  }

  async state(): Promise<ArkLocalState> {
    return this.call<ArkLocalState>('GET', 'state');
  }

  private async call<T>(method: string, route: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_ark-local/${route}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } }).error;
      throw new ArkLocalAdminError(response.status, error?.code ?? 'Unknown', `ark-local admin ${method} ${route} failed (${response.status}): ${error?.message ?? text}`);
    }
    return json as T;
  }
}
