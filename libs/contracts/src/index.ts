export * from './agent-protocol.js';
export * from './errors.js';
export * from './schemas.js';
export * from './tracking.js';
export * from './types.js';
