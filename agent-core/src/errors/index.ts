/** The one coded-error base every agent-core error class extends (relay-server's AppError too). */
export * from './codedError.js';
