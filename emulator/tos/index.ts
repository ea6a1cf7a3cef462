/** The TOS object API of ark-local: the store (behaviour + persistence) and the HTTP service over it. */
export { createObjectStore, type ObjectStore, type ObjectStoreOptions } from './store';
export { createTosService, type TosServiceOptions } from './service';
export { tosModelFileSource } from './model-source';
