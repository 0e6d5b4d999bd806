// The preload runs sandboxed, so it is CommonJS and may require only 'electron'.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a sandboxed preload is CommonJS
import electron = require('electron');
import type {
  DesktopApi,
  DesktopMethod,
  EventChannel,
  EventPayloads,
  Result,
} from '@cloud-connect/agent-core/desktop' with { 'resolution-mode': 'import' };
import type { CALL_CHANNEL, EVENT_CHANNEL } from './channels.js' with {
  'resolution-mode': 'import',
};

const { contextBridge, ipcRenderer } = electron;
// A sandboxed preload can require only 'electron' (no relative files), so the names are
// written again here; typed as channels.ts's constants, they fail the build if they differ.
const CALL: typeof CALL_CHANNEL = 'cloud-connect:call';
const EVENT: typeof EVENT_CHANNEL = 'cloud-connect:event';

function call<T>(method: DesktopMethod, ...args: unknown[]): Promise<Result<T>> {
  return ipcRenderer.invoke(CALL, method, args) as Promise<Result<T>>;
}

function subscribe<C extends EventChannel>(
  channel: C,
  listener: (payload: EventPayloads[C]) => void,
): () => void {
  const handler = (_event: unknown, ch: EventChannel, payload: unknown) => {
    if (ch === channel) listener(payload as EventPayloads[C]);
  };
  ipcRenderer.on(EVENT, handler);
  return () => {
    ipcRenderer.removeListener(EVENT, handler);
  };
}

/** Written out in full so the compiler checks it against the contract (no hand-made copy of it). */
const desktopAPI: DesktopApi = {
  getSession: () => call('getSession'),
  setRelayUrl: (url) => call('setRelayUrl', url),
  signUp: (input) => call('signUp', input),
  verifyEmail: (token) => call('verifyEmail', token),
  resendVerification: (email) => call('resendVerification', email),
  signIn: (email, password) => call('signIn', email, password),
  signOut: () => call('signOut'),
  forgotPassword: (email) => call('forgotPassword', email),
  resetPassword: (input) => call('resetPassword', input),
  updateProfile: (input) => call('updateProfile', input),
  getSubscription: () => call('getSubscription'),
  startCheckout: (plan) => call('startCheckout', plan),
  openBillingPortal: () => call('openBillingPortal'),
  listInstances: () => call('listInstances'),
  checkSubdomain: (subdomain) => call('checkSubdomain', subdomain),
  createInstance: (input) => call('createInstance', input),
  updateInstance: (id, patch) => call('updateInstance', id, patch),
  deleteInstance: (id) => call('deleteInstance', id),
  regenerateInstanceToken: (id) => call('regenerateInstanceToken', id),
  listDomains: (instanceId) => call('listDomains', instanceId),
  addDomain: (instanceId, domain) => call('addDomain', instanceId, domain),
  verifyDomain: (instanceId, domain) => call('verifyDomain', instanceId, domain),
  removeDomain: (instanceId, domain) => call('removeDomain', instanceId, domain),
  listConnections: () => call('listConnections'),
  addConnection: (input) => call('addConnection', input),
  updateConnection: (id, patch) => call('updateConnection', id, patch),
  removeConnection: (id) => call('removeConnection', id),
  connect: (id) => call('connect', id),
  disconnect: (id) => call('disconnect', id),
  testConnection: (input) => call('testConnection', input),
  listContainers: () => call('listContainers'),
  getLogs: (options) => call('getLogs', options),
  openExternal: (url) => call('openExternal', url),
  getAppInfo: () => call('getAppInfo'),
  setLaunchAtLogin: (enabled) => call('setLaunchAtLogin', enabled),
  verifyEmailLocally: (email) => call('verifyEmailLocally', email),
  onConnections: (listener) => subscribe('connections', listener),
  onSession: (listener) => subscribe('session', listener),
  onLog: (listener) => subscribe('log', listener),
};

contextBridge.exposeInMainWorld('cloudConnect', desktopAPI);
