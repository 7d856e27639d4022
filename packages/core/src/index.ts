export * from './errors.js';
export * from './encoding.js';
export * from './crypto.js';
export * from './hashes.js';
