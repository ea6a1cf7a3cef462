/** examples/yaml through the real `pulumi` binary and the native plugin, against ark-local (plugin-examples.ts). */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { describePluginExample } from './plugin-examples';

jest.setTimeout(600_000);

describe('examples/yaml on ark-local', () => describePluginExample('yaml'));
