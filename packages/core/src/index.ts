export * from './errors.js';
export * from './encoding.js';
export * from './crypto.js';
export * from './hashes.js';
export * from './merkle/index.js';
export * from './note/index.js';
export * from './event/index.js';
export * from './bundle/index.js';
