import { quickstart } from '../quickstart/program';

// Same pipeline as the quickstart; what changes is who runs it (CI, see workflow.yml) and where config lives
// (Pulumi.production.yaml in git, credentials in the CI secret store).
const outputs = quickstart();

export const weightsLocation = outputs.weightsLocation;
export const contentDigest = outputs.contentDigest;
export const customModelId = outputs.customModelId;
export const endpointId = outputs.endpointId;
export const endpointStatus = outputs.endpointStatus;
export const chatBaseUrl = outputs.chatBaseUrl;
