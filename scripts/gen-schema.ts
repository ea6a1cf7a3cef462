/**
 * Generates schema.json, the Pulumi package schema of the three resources, from their zod schemas (the single
 * source of truth for inputs and outputs). It documents the resources in Pulumi's standard format and is the
 * contract a native multi-language provider reusing the controllers would serve (docs/architecture.md).
 *
 * Tokens are `ark:index:<Kind>`: a package schema's tokens must start with its package name (`ark`). The
 * TypeScript classes of this package register the same kinds as dynamic resources, whose engine type token is
 * `pulumi-nodejs:dynamic/ark:<Kind>`; each resource's description names it.
 *
 * `npm run schema` rewrites schema.json; a unit test fails when the committed file is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import * as customModel from '../provider/resources/custom-model/schema';
import * as endpoint from '../provider/resources/model-unit-endpoint/schema';
import * as tosModelDir from '../provider/resources/tos-model-dir/schema';
import type { ResourceKind } from '../provider/resources/dynamic-shim';

const PACKAGE = 'ark';

/**
 * Where the engine downloads the plugin archives (scripts/plugin-pack.sh) when a program needs a version it does
 * not have: the assets of the project's GitHub release `v<version>`, named as the engine asks for them
 * (`pulumi-resource-ark-v<version>-<os>-<arch>.tar.gz`), which .github/workflows/release.yml uploads. SDKs
 * generated from the schema carry it (pulumi-plugin.json `server`). Networks that cannot reach GitHub mirror
 * the archives and redirect with PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES (docs/plugin.md).
 */
export const PLUGIN_DOWNLOAD_URL = 'github://api.github.com/pulumi-ark/pulumi-ark';

/** The Go SDK's module: sdk/ of the repository that PLUGIN_DOWNLOAD_URL names. */
export const GO_MODULE = 'github.com/pulumi-ark/pulumi-ark/sdk';

/** Inputs the resource classes set themselves (never the user); a native provider derives them from the URN. */
const CLASS_SET_INPUTS = new Set(['owner']);

interface ResourceSource {
  description: string;
  inputs: z.ZodObject;
  outputs: z.ZodObject;
}

const RESOURCES: Record<ResourceKind, ResourceSource> = {
  TosModelDir: {
    description:
      'A local Hugging Face model directory mirrored to a TOS prefix: parallel, resumable, CRC64-verified uploads of what changed. `contentDigest` changes iff the model content changes, which is what CustomModel keys on.',
    inputs: tosModelDir.InputsSchema,
    outputs: tosModelDir.OutputsSchema,
  },
  CustomModel: {
    description:
      'A fine-tuned model imported into Ark from a TOS directory (UploadModel), waited on until Ready. New weights (a new contentDigest) import a new model before the old one is deleted, so endpoints can move over first.',
    inputs: customModel.InputsSchema,
    outputs: customModel.OutputsSchema,
  },
  ModelUnitEndpoint: {
    description:
      'An Ark inference endpoint serving a custom model on a model unit, waited on until Running. Its id (`ep-…`) is the `model` the OpenAI-compatible Chat API at `chatBaseUrl` takes.',
    inputs: endpoint.InputsSchema,
    outputs: endpoint.OutputsSchema,
  },
};

/** The stack config the provider reads (`ark:<key>`); see provider/settings.ts. */
const CONFIG_VARIABLES = {
  accessKey: { type: 'string', secret: true, description: 'Volcengine access key id. Else VOLCENGINE_ACCESS_KEY (or VOLC_ACCESSKEY). Set it as a secret so it is encrypted in state.' },
  secretKey: { type: 'string', secret: true, description: 'Volcengine secret access key. Else VOLCENGINE_SECRET_KEY (or VOLC_SECRETKEY).' },
  region: { type: 'string', description: 'Region; default cn-beijing, else VOLCENGINE_REGION. The default hosts below derive from it.' },
  endpoint: { type: 'string', description: 'Ark control plane URL; default https://ark.<region>.volcengineapi.com, else ARK_ENDPOINT.' },
  tosEndpoint: { type: 'string', description: 'TOS endpoint, host[:port] or URL; default tos-<region>.volces.com, else ARK_TOS_ENDPOINT. A bare host follows the Ark endpoint\'s scheme.' },
  chatBaseUrl: { type: 'string', description: 'Chat API base URL reported by endpoints; default https://ark.<region>.volces.com/api/v3, else ARK_CHAT_BASE_URL.' },
  hubEndpoint: { type: 'string', description: 'Hugging Face–compatible hub that hf:// model sources come from; default https://huggingface.co, else HF_ENDPOINT (e.g. a mirror).' },
  hubToken: { type: 'string', secret: true, description: 'Hub access token for private or gated hf:// sources. Else HF_TOKEN (or HUGGING_FACE_HUB_TOKEN); absent: anonymous.' },
};

/**
 * Enum-valued properties declared as plain strings (their description lists the values; check still refuses
 * others): an output of one resource feeds the input of another, and Pulumi YAML's type checker refuses an
 * enum output where the same enum is an input ("Cannot assign 'ark:index:Quantization' to
 * 'ark:index:Quantization'"), so TosModelDir.quantization could not go into CustomModel.quantization.
 */
const STRING_ENUMS = new Set(['quantization']);

type JsonSchema = {
  type?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
};

type PropertySpec = Record<string, unknown>;

class SchemaBuilder {
  readonly types: Record<string, Record<string, unknown>> = {};

  resource(kind: ResourceKind, source: ResourceSource) {
    const inputs = z.toJSONSchema(source.inputs, { io: 'input' }) as JsonSchema;
    const outputs = z.toJSONSchema(source.outputs, { io: 'output' }) as JsonSchema;
    const userInputs = (name: string) => !CLASS_SET_INPUTS.has(name);
    return {
      description: `${source.description}\n\nIn TypeScript: \`new ${kind}(...)\` from pulumi-ark, a dynamic resource of type \`pulumi-nodejs:dynamic/${PACKAGE}:${kind}\`.`,
      inputProperties: this.properties(kind, inputs, userInputs),
      requiredInputs: (inputs.required ?? []).filter(userInputs),
      properties: this.properties(kind, outputs, userInputs),
      required: (outputs.required ?? []).filter(userInputs),
    };
  }

  private properties(kind: string, object: JsonSchema, keep: (name: string) => boolean): Record<string, PropertySpec> {
    const out: Record<string, PropertySpec> = {};
    for (const [name, schema] of Object.entries(object.properties ?? {})) {
      if (keep(name)) out[name] = this.property(`${kind}${pascal(name)}`, STRING_ENUMS.has(name) ? withoutEnum(schema) : schema);
    }
    return out;
  }

  /** One property in Pulumi's type system; `typeName` names any object or enum type it needs. */
  private property(typeName: string, schema: JsonSchema): PropertySpec {
    const description = schema.description;
    // Pulumi has no null type: a nullable value is simply optional.
    const nonNull = schema.anyOf?.filter((s) => s.type !== 'null');
    const base = nonNull?.length === 1 ? { ...nonNull[0]!, description: description ?? nonNull[0]!.description } : schema;
    const spec: PropertySpec = this.shape(typeName, base);
    if (description ?? base.description) spec.description = description ?? base.description;
    if (base.default !== undefined && ['string', 'number', 'integer', 'boolean'].includes(String(spec.type))) spec.default = base.default;
    return spec;
  }

  private shape(typeName: string, schema: JsonSchema): PropertySpec {
    if (schema.enum) return { $ref: this.enumType(typeName, schema) };
    switch (schema.type) {
      case 'string':
      case 'integer':
      case 'number':
      case 'boolean':
        return { type: schema.type };
      case 'array':
        return { type: 'array', items: this.shape(`${typeName}Item`, schema.items ?? {}) };
      case 'object':
        if (schema.properties) return { $ref: this.objectType(typeName, schema) };
        return { type: 'object', additionalProperties: this.shape(`${typeName}Value`, (schema.additionalProperties as JsonSchema) ?? { type: 'string' }) };
      default:
        throw new Error(`gen-schema: ${typeName} has a JSON schema Pulumi cannot express: ${JSON.stringify(schema)}`);
    }
  }

  private objectType(typeName: string, schema: JsonSchema): string {
    const token = `${PACKAGE}:index:${typeName}`;
    this.types[token] = {
      type: 'object',
      ...(schema.description && { description: schema.description }),
      properties: this.properties(typeName, schema, () => true),
      required: schema.required ?? [],
    };
    return `#/types/${token}`;
  }

  private enumType(typeName: string, schema: JsonSchema): string {
    const token = `${PACKAGE}:index:${typeName}`;
    this.types[token] = { type: 'string', enum: (schema.enum as string[]).map((value) => ({ value })) };
    return `#/types/${token}`;
  }
}

export function buildSchema(): Record<string, unknown> {
  const builder = new SchemaBuilder();
  const resources: Record<string, unknown> = {};
  for (const [kind, source] of Object.entries(RESOURCES) as [ResourceKind, ResourceSource][]) {
    resources[`${PACKAGE}:index:${kind}`] = builder.resource(kind, source);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, ...upTo(__dirname), 'package.json'), 'utf8')) as { version: string };
  return {
    name: PACKAGE,
    displayName: 'Volcengine Ark model serving',
    version: manifest.version,
    description: 'Serve fine-tuned open-source LLMs on Volcengine Ark model units: TOS upload, custom model import, endpoint.',
    keywords: ['pulumi', 'volcengine', 'ark', 'llm', 'category/cloud'],
    license: 'Apache-2.0',
    pluginDownloadURL: PLUGIN_DOWNLOAD_URL,
    config: { variables: CONFIG_VARIABLES },
    types: Object.fromEntries(Object.entries(builder.types).sort(([a], [b]) => a.localeCompare(b))),
    resources,
    // respectSchemaVersion: the Python SDK carries the package version (setup.py, pulumi-plugin.json).
    // go: the module github.com/pulumi-ark/pulumi-ark/sdk (sdk/go.mod), package .../sdk/go/ark; its version is
    // the release's Go module tag sdk/v<version> (.github/workflows/release.yml).
    language: {
      nodejs: { packageName: 'pulumi-ark' },
      python: { packageName: 'pulumi_ark', respectSchemaVersion: true },
      go: { importBasePath: `${GO_MODULE}/go/ark`, respectSchemaVersion: true },
    },
  };
}

/** `..` segments from this file to the package root: scripts/ in source, dist/scripts/ when built. */
function upTo(dir: string): string[] {
  return path.basename(path.dirname(dir)) === 'dist' ? ['..', '..'] : ['..'];
}

export function schemaPath(): string {
  return path.join(__dirname, ...upTo(__dirname), 'schema.json');
}

function withoutEnum(schema: JsonSchema): JsonSchema {
  const strip = ({ enum: _values, ...rest }: JsonSchema): JsonSchema => ({ ...rest, type: 'string' });
  return schema.anyOf ? { ...schema, anyOf: schema.anyOf.map((s) => (s.type === 'null' ? s : strip(s))) } : strip(schema);
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

if (require.main === module) {
  fs.writeFileSync(schemaPath(), JSON.stringify(buildSchema(), null, 2) + '\n');
  process.stdout.write(`wrote ${schemaPath()}\n`);
}
