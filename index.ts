/**
 * pulumi-ark: Pulumi resources for serving fine-tuned open-source LLMs on Volcengine Ark model units.
 *
 *   TosModelDir        a local Hugging Face model directory mirrored to a TOS prefix
 *   CustomModel        an Ark custom model imported from that prefix
 *   ModelUnitEndpoint  an Ark endpoint serving the custom model on a model unit
 *
 * Credentials and endpoints come from stack config `ark:*` or the environment (docs/configuration.md).
 */
export { TosModelDir, type TosModelDirArgs } from './provider/resources/tos-model-dir/resource';
export { CustomModel, type CustomModelArgs } from './provider/resources/custom-model/resource';
export { ModelUnitEndpoint, type ModelUnitEndpointArgs } from './provider/resources/model-unit-endpoint/resource';
