import { randomBytes } from 'node:crypto';
import type { ArkRequest, ArkResult } from '../../provider/api/ark';
import type { ApiKeyRecord } from '../state/control-plane';
import type { Endpoints } from './endpoints';
import { missingParameter, notFound } from './errors';
import type { ControlPlaneStore } from './store';

/** Prefix of temporary data-plane keys issued by GetApiKey (real keys are opaque strings). */
export const TEMP_API_KEY_PREFIX = 'ark-tmp-';

/** Temporary data-plane keys: GetApiKey issues them, the Chat API looks them up. */
export class ApiKeys {
  constructor(
    private readonly store: ControlPlaneStore,
    private readonly endpoints: Endpoints,
  ) {}

  issue(req: ArkRequest<'GetApiKey'>): ArkResult<'GetApiKey'> {
    const ids = req.ResourceIds ?? [];
    if (req.ResourceType === 'endpoint') {
      if (ids.length === 0) throw missingParameter('ResourceIds', 'when ResourceType is endpoint');
      for (const id of ids) if (!this.endpoints.find(id)) throw notFound('Endpoint', id);
    }
    const nowSeconds = Math.floor(this.store.now() / 1000);
    const record: ApiKeyRecord = {
      key: TEMP_API_KEY_PREFIX + randomBytes(24).toString('hex'),
      resourceType: req.ResourceType,
      resourceIds: ids,
      expiredTime: nowSeconds + req.DurationSeconds,
    };
    this.store.state.apiKeys = this.store.state.apiKeys.filter((k) => k.expiredTime > nowSeconds);
    this.store.state.apiKeys.push(record);
    this.store.persist();
    return { ApiKey: record.key, ExpiredTime: record.expiredTime };
  }

  find(key: string): ApiKeyRecord | undefined {
    return this.store.state.apiKeys.find((k) => k.key === key);
  }
}
