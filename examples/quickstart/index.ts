import { quickstart } from './program';

// `pulumi up` entry point; the pipeline itself lives in program.ts so inline Automation API runs share it.
const outputs = quickstart();

export const weightsLocation = outputs.weightsLocation;
export const contentDigest = outputs.contentDigest;
export const customModelId = outputs.customModelId;
export const endpointId = outputs.endpointId;
export const endpointStatus = outputs.endpointStatus;
export const chatBaseUrl = outputs.chatBaseUrl;
export const servingModelUnitId = outputs.servingModelUnitId;
