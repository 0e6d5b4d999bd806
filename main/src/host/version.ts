/** The desktop manager's version, shown in the app and reported to the renderer. */
export const APP_VERSION = '0.1.0';
