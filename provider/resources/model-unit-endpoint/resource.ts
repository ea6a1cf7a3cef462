import * as pulumi from '@pulumi/pulumi';
import { ArkDynamicResource, ownerTagFor } from '../dynamic-shim';

/** Arguments of ModelUnitEndpoint; docs/resources/model-unit-endpoint.md documents each one. */
export interface ModelUnitEndpointArgs {
  /** Endpoint name; updates in place. */
  name: pulumi.Input<string>;
  /** The custom model to serve (CustomModel.id). Changing it replaces the endpoint, or rolls it with `modelUpdate: 'rolling'`. */
  customModelId: pulumi.Input<string>;
  /** The model unit hosting it, as the Ark console shows its id. Changing it replaces the endpoint (unless it runs on the standby unit). */
  modelUnitId: pulumi.Input<string>;
  /** A second unit: replacements alternate between the two, the new endpoint Running before the old one goes (no downtime). */
  standbyModelUnitId?: pulumi.Input<string>;
  /** Up to 300 characters; updates in place. */
  description?: pulumi.Input<string>;
  /** Requests and tokens per minute; updates in place. */
  rateLimit?: pulumi.Input<{ rpm: pulumi.Input<number>; tpm: pulumi.Input<number> }>;
  /** Default, Basic, Customized or Skip; updates in place. */
  moderation?: pulumi.Input<'Default' | 'Basic' | 'Customized' | 'Skip'>;
  /** Extra tags; update in place. */
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Ark project (default: the service default). Changing it replaces the endpoint. */
  projectName?: pulumi.Input<string>;
  /** How long to wait for Running (default 1800). */
  createTimeoutSeconds?: pulumi.Input<number>;
  /** How long delete waits for the endpoint to stop and go (default 900). */
  deleteTimeoutSeconds?: pulumi.Input<number>;
  /** `delete-before-create` (default on one unit, which hosts one endpoint) or `create-before-delete` (default with standbyModelUnitId). */
  replacement?: pulumi.Input<'create-before-delete' | 'delete-before-create'>;
  /** Take over an existing `ep-…` endpoint instead of creating one (only read at create). */
  adoptExistingId?: pulumi.Input<string>;
  /** `replace` (default: new endpoint, new id) or `rolling` (same endpoint switches models in place where it reports SupportRolling; else replaced). */
  modelUpdate?: pulumi.Input<'replace' | 'rolling'>;
  /** How long a rolling model switch may take, and then its cancel (default 3600 each). */
  updateTimeoutSeconds?: pulumi.Input<number>;
  /** A chat completion that must answer after Running and after a rollout. */
  readinessProbe?: pulumi.Input<{ prompt: pulumi.Input<string>; maxTokens?: pulumi.Input<number>; timeoutSeconds?: pulumi.Input<number> }>;
}

/**
 * An Ark inference endpoint serving a custom model on a model unit, waited on until Running. Its `id` (`ep-…`)
 * is the `model` the OpenAI-compatible Chat API at `chatBaseUrl` takes.
 */
export class ModelUnitEndpoint extends ArkDynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly customModelId: pulumi.Output<string>;
  declare readonly modelUnitId: pulumi.Output<string>;
  declare readonly standbyModelUnitId: pulumi.Output<string | undefined>;
  /** The unit it runs on: modelUnitId, or standbyModelUnitId after a replacement alternated to it. */
  declare readonly servingModelUnitId: pulumi.Output<string | undefined>;
  /** Scheduling, Running, Abnormal, Stopped or Deleting, as last read. */
  declare readonly status: pulumi.Output<string>;
  declare readonly statusReason: pulumi.Output<string | undefined>;
  /** Base URL of the Chat API (`…/api/v3`). */
  declare readonly chatBaseUrl: pulumi.Output<string>;
  declare readonly createTime: pulumi.Output<string>;
  declare readonly updateTime: pulumi.Output<string>;
  /** The last readiness probe: `{time, latencyMs, passed, httpStatus?, errorCode?, servedModel?}`. */
  declare readonly lastProbe: pulumi.Output<{ time: string; latencyMs: number; passed: boolean; httpStatus?: number; errorCode?: string; servedModel?: string } | undefined>;

  constructor(name: string, args: ModelUnitEndpointArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      'ModelUnitEndpoint',
      name,
      {
        ...args,
        owner: ownerTagFor(name),
        servingModelUnitId: undefined,
        status: undefined,
        statusReason: undefined,
        chatBaseUrl: undefined,
        createTime: undefined,
        updateTime: undefined,
        lastProbe: undefined,
      },
      opts,
    );
  }
}
