import type { ResourceController } from './controller';
import { customModelController } from './custom-model/controller';
import type { ResourceKind } from './dynamic-shim';
import { modelUnitEndpointController } from './model-unit-endpoint/controller';
import { tosModelDirController } from './tos-model-dir/controller';

// Controllers are typed per kind; the table is keyed by the kind string the adapters receive.
export type AnyController = ResourceController<any, any>;

/** Partial so tests can serve a subset; the package's own table below names every kind. */
export type ControllerRegistry = Partial<Record<ResourceKind, AnyController>>;

/** Every resource kind the package serves: the one table both adapters (dynamic runtime, native plugin) dispatch on. */
export const CONTROLLERS: Record<ResourceKind, AnyController> = {
  TosModelDir: tosModelDirController,
  CustomModel: customModelController,
  ModelUnitEndpoint: modelUnitEndpointController,
};
