// Imported first by each e2e test file, before anything loads tos-crc64-js (see dropEmscriptenProbeWarnings).
import { dropEmscriptenProbeWarnings } from '../../scripts/pulumi-workspace';

dropEmscriptenProbeWarnings();
