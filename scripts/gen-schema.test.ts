import * as fs from 'node:fs';
import { buildSchema, schemaPath } from './gen-schema';

describe('schema.json', () => {
  const schema = buildSchema() as {
    resources: Record<string, { inputProperties: Record<string, { description?: string }>; requiredInputs: string[]; properties: Record<string, unknown> }>;
    types: Record<string, unknown>;
  };

  it('is up to date with the zod schemas (run `npm run schema` after changing a resource schema)', () => {
    const committed = JSON.parse(fs.readFileSync(schemaPath(), 'utf8'));
    expect(committed).toEqual(schema);
  });

  it('describes every user input of the three resources, without the class-set owner tag', () => {
    expect(Object.keys(schema.resources).sort()).toEqual(['ark:index:CustomModel', 'ark:index:ModelUnitEndpoint', 'ark:index:TosModelDir']);
    for (const [token, resource] of Object.entries(schema.resources)) {
      expect(resource.inputProperties.owner).toBeUndefined();
      for (const [name, property] of Object.entries(resource.inputProperties)) {
        expect(`${token}.${name}: ${property.description ? 'described' : 'NO DESCRIPTION'}`).toBe(`${token}.${name}: described`);
      }
    }
    // bucket and prefix may both be left out, for a tos:// source used in place (check enforces the pairing).
    expect(schema.resources['ark:index:TosModelDir']!.requiredInputs.sort()).toEqual(['baseModel', 'source']);
  });

  it('turns nested objects and enums into named types', () => {
    expect(schema.types['ark:index:ModelUnitEndpointRateLimit']).toMatchObject({ type: 'object', required: ['rpm', 'tpm'] });
    expect(schema.types['ark:index:ModelUnitEndpointModelUpdate']).toEqual({ type: 'string', enum: [{ value: 'replace' }, { value: 'rolling' }] });
    // Moderation is an open string: no source says the strategies seen so far are all there are.
    expect(schema.types['ark:index:ModelUnitEndpointModeration']).toBeUndefined();
  });

  it('declares quantization a plain string, so TosModelDir.quantization feeds CustomModel.quantization in YAML', () => {
    expect(schema.types['ark:index:CustomModelQuantization']).toBeUndefined();
    for (const kind of ['TosModelDir', 'CustomModel'] as const) {
      expect(schema.resources[`ark:index:${kind}`].properties.quantization).toMatchObject({ type: 'string' });
    }
  });
});
