/**
 * The Cloud API contract: zod schemas, the endpoint table and the error codes.
 * relay-server validates with these and agent-core's client is typed from them.
 */
export * from './auth.js';
export * from './billing.js';
export * from './common.js';
export * from './domains.js';
export * from './endpoints.js';
export * from './errors.js';
export * from './instances.js';
export * from './ops.js';
export * from './streamTransport.js';
export * from './subdomains.js';
export * from './tunnel.js';
export * from './user.js';
