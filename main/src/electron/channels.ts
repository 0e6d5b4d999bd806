/** IPC channel names between the preload and main (kebab-case, one place). */
export const CALL_CHANNEL = 'cloud-connect:call';
export const EVENT_CHANNEL = 'cloud-connect:event';
