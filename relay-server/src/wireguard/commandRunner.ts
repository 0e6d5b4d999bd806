import {
  commandFailure as wireGuardCommandFailure,
  createExecaRunner,
  type RunCommand,
  type WireGuardAdvice,
} from '@cloud-connect/agent-core/wireguard';

/** The WireGuard primitives' failure messages as the relay's operator reads them. */
export const RELAY_ADVICE: WireGuardAdvice = {
  needs: 'WG_MODE',
  permission: 'run relay-server as root or give it CAP_NET_ADMIN',
  nameTaken: (name) =>
    `a WireGuard interface named ${name} already runs (another relay or a leftover wireguard-go); stop it or set WG_INTERFACE to another name`,
};

/** The relay's command runner: wg, ip and iptables with the relay's advice in their failures. */
export const execaRunner: RunCommand = createExecaRunner(RELAY_ADVICE);

/** Map a finished command's failure to a WireGuardError worded for the relay's operator. */
export const commandFailure = (
  file: string,
  args: readonly string[],
  failure: Parameters<typeof wireGuardCommandFailure>[3],
) => wireGuardCommandFailure(RELAY_ADVICE, file, args, failure);
