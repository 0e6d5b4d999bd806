/** The DesktopApi contract shared by the Manager, Electron main, the web host and the renderer. */
export * from './bridgeProtocol.js';
export * from './desktopApi.js';
