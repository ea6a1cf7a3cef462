import * as path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import * as ark from 'pulumi-ark';

/**
 * The quickstart pipeline: local fine-tuned weights -> TOS -> Ark custom model -> endpoint on a model unit.
 * Shared by index.ts (`pulumi up` with a full Pulumi install) and by the demo and e2e tests (Automation API
 * inline program), so every run deploys exactly this code. Config keys are documented in README.md.
 */
export function quickstart() {
  const config = new pulumi.Config();
  const stack = pulumi.getStack();
  const baseModel = config.require('baseModel');

  const weights = new ark.TosModelDir('weights', {
    // `weights` names weights that live elsewhere (tos://bucket/prefix/ or hf://owner/name@revision, nothing
    // downloaded to this machine); `modelDir` a local directory, relative to where `pulumi up` runs.
    source: config.get('weights') ?? path.resolve(config.require('modelDir')),
    bucket: config.require('bucket'),
    prefix: config.get('prefix') ?? `quickstart/${stack}/`,
    baseModel,
    createBucket: config.getBoolean('createBucket') ?? false,
  });

  const model = new ark.CustomModel('model', {
    name: config.get('modelName') ?? `quickstart-${stack}`,
    baseModel,
    location: weights.location,
    contentDigest: weights.contentDigest,
    quantization: weights.quantization,
    description: config.get('modelDescription'),
  });

  const endpoint = new ark.ModelUnitEndpoint('chat', {
    name: config.get('endpointName') ?? `quickstart-${stack}`,
    customModelId: model.id,
    modelUnitId: config.require('modelUnitId'),
    // A second unit makes a replacement (new weights) alternate units with no downtime; without it, the endpoint
    // is deleted first (a unit hosts one endpoint).
    standbyModelUnitId: config.get('standbyModelUnitId'),
    description: config.get('endpointDescription'),
    rateLimit: { rpm: config.getNumber('rpm') ?? 600, tpm: config.getNumber('tpm') ?? 200_000 },
    modelUpdate: config.get<'replace' | 'rolling'>('modelUpdate'),
    readinessProbe: config.get('probePrompt') ? { prompt: config.require('probePrompt') } : undefined,
  }, {
    // Pulumi's own deletion safety (docs/resources/model-unit-endpoint.md "Safe deletes").
    protect: config.getBoolean('protectEndpoint'),
    retainOnDelete: config.getBoolean('retainEndpoint'),
  });

  return {
    weightsLocation: weights.location,
    contentDigest: weights.contentDigest,
    customModelId: model.id,
    endpointId: endpoint.id,
    endpointStatus: endpoint.status,
    servingModelUnitId: endpoint.servingModelUnitId,
    chatBaseUrl: endpoint.chatBaseUrl,
  };
}
