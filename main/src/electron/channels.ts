/**
 * IPC channel names between the preload and main (kebab-case): defined here only. The
 * sandboxed preload cannot import this module, so it restates them typed as these constants,
 * and the compiler refuses a preload whose names differ.
 */
export const CALL_CHANNEL = 'cloud-connect:call';
export const EVENT_CHANNEL = 'cloud-connect:event';
