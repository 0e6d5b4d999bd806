/** Tunnel drivers behind one interface, the supervisor that keeps them up, and the connectivity test. */
export type {
  DriverEventMap,
  DriverLogLine,
  DriverProbe,
  TunnelDriver,
  TunnelKind,
} from './driver.js';
export type { TunnelState, TunnelStatus, TunnelTestResult } from './status.js';
export { TunnelError, type TunnelErrorCode } from './tunnelError.js';
export * from './cloudflared/index.js';
export * from './wireguard/index.js';
export * from './stream/index.js';
export * from './relay/index.js';
export * from './supervisor/index.js';
export {
  probeRunningTunnel,
  testTunnelConnectivity,
  type ConnectivityTestOptions,
  type LiveProbeOptions,
  type LiveTunnel,
  type RestorableTunnel,
} from './connectivityCheck.js';
