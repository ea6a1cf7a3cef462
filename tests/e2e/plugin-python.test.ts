/**
 * examples/python through the real `pulumi` binary, the Python language host and the SDK in sdk/python
 * (installed with pip as the example's README says), served by the native plugin, against ark-local.
 */
import './quiet-probes'; // first: before anything loads tos-crc64-js
import { describePluginExample } from './plugin-examples';

jest.setTimeout(600_000);

describe('examples/python on ark-local', () => describePluginExample('python'));
