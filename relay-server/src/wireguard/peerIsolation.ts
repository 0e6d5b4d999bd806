import { WireGuardError, type RunCommand } from '@cloud-connect/agent-core/wireguard';

/**
 * The FORWARD rule that keeps peers apart: a packet that comes in on the WireGuard interface
 * and would leave through it again (one peer to another peer's tunnel IP) is dropped. Without
 * it a relay host with ip_forward=1 (any Docker host) would route between customers.
 */
export function peerIsolationRule(ifName: string): string[] {
  return [
    'FORWARD',
    '-i',
    ifName,
    '-o',
    ifName,
    '-m',
    'comment',
    '--comment',
    'cloud-connect: no peer-to-peer traffic',
    '-j',
    'DROP',
  ];
}

async function ruleExists(run: RunCommand, ifName: string): Promise<boolean> {
  try {
    await run('iptables', ['-w', '5', '-C', ...peerIsolationRule(ifName)]);
    return true;
  } catch (e) {
    // -C exits 1 with "Bad rule" when the rule is absent; missing binary or permission propagate.
    if (e instanceof WireGuardError && e.code === 'COMMAND_FAILED') return false;
    throw e;
  }
}

/** Insert the isolation rule at the top of FORWARD unless it is already there. */
export async function ensurePeerIsolation(run: RunCommand, ifName: string): Promise<void> {
  if (await ruleExists(run, ifName)) return;
  await run('iptables', ['-w', '5', '-I', ...peerIsolationRule(ifName)]);
}

/** Remove the rule (every copy of it). */
export async function removePeerIsolation(run: RunCommand, ifName: string): Promise<void> {
  for (let i = 0; i < 10 && (await ruleExists(run, ifName)); i++) {
    await run('iptables', ['-w', '5', '-D', ...peerIsolationRule(ifName)]);
  }
}
