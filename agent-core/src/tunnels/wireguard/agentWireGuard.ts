import {
  createExecaRunner,
  startWireGuardGo,
  WireGuardError,
  type StartWireGuardGoOptions,
  type WireGuardAdvice,
  type WireGuardDaemon,
  type WireGuardErrorCode,
} from '../../wireguard/index.js';
import { TunnelError, type TunnelErrorCode } from '../tunnelError.js';

/** The WireGuard primitives' failure messages as the agent's user reads them. */
export const AGENT_ADVICE: WireGuardAdvice = {
  needs: 'the WireGuard tunnel',
  permission: 'the WireGuard tunnel needs root or CAP_NET_ADMIN',
  nameTaken: (name) =>
    `A WireGuard interface named ${name} already exists on this machine; another name is needed`,
  otherInstall: 'macOS: brew install wireguard-tools',
  notReady: (name) => `wireguard-go -f ${name} did not open its control socket in time`,
};

/** The agent's command runner: wg and ip with the agent's advice in their failures. */
export const agentRunner = createExecaRunner(AGENT_ADVICE);

/**
 * Start wireguard-go for the agent: its advice, and an exit that says the name is taken reads
 * as any other exit (PROCESS_EXITED), as the agent's tunnel status has always said.
 */
export function startAgentWireGuardGo(
  options: Omit<StartWireGuardGoOptions, 'advice' | 'inUseExit'>,
): Promise<WireGuardDaemon> {
  return startWireGuardGo({ ...options, advice: AGENT_ADVICE, inUseExit: 'PROCESS_EXITED' });
}

/**
 * What the supervisor acts on for each WireGuard failure: a missing program, no permission and
 * a bad key are permanent; anything else may pass (a fresh start takes a fresh interface name).
 */
const TUNNEL_CODE: Record<WireGuardErrorCode, TunnelErrorCode> = {
  BINARY_MISSING: 'BINARY_MISSING',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  KEY_INVALID: 'CONFIG_INVALID',
  PROCESS_EXITED: 'PROCESS_EXITED',
  TIMEOUT: 'TIMEOUT',
  INTERFACE_IN_USE: 'INTERNAL',
  COMMAND_FAILED: 'INTERNAL',
};

/** Anything a WireGuard step threw, as a TunnelError (a WireGuardError keeps its message). */
export function tunnelErrorFromWireGuard(cause: unknown): TunnelError {
  if (cause instanceof WireGuardError) {
    return new TunnelError(TUNNEL_CODE[cause.code], cause.message, cause.details);
  }
  return TunnelError.from(cause);
}
