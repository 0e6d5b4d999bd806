import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LabProcess, NetLab } from '../../e2e/harness/netlab.js';
import { AS_NOBODY, NOBODY } from '../../e2e/harness/streamLab.js';

/**
 * bench:edge's path (f), the classic unprivileged peer: OpenSSH remote forwarding. Debian's
 * sshd runs in the server host as its own process (`sshd -D` on a throwaway config, host key
 * and client key made here), and `ssh -N -R` runs in the client host as the user nobody,
 * opening `port` on every address of the server host to `target` on the client's side.
 */
export interface SshForward {
  /** The forwarded port in the server host. */
  port: number;
  sshd: LabProcess;
  client: LabProcess;
  stop(): Promise<void>;
}

const SSHD_PORT = 2222;

const keygen = (file: string) =>
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cc-bench', '-f', file]);

export async function startSshForward(
  lab: NetLab,
  {
    server,
    client,
    port,
    target,
  }: { server: string; client: string; port: number; target: string },
): Promise<SshForward> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cc-bench-ssh-'));
  const clientDir = path.join(dir, 'client');
  let sshd: LabProcess | null = null;
  let ssh: LabProcess | null = null;
  const stop = async () => {
    await ssh?.stop();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    chmodSync(dir, 0o755);
    mkdirSync(clientDir, { mode: 0o700 });
    keygen(path.join(dir, 'host_key'));
    keygen(path.join(clientDir, 'id_ed25519'));
    // ssh refuses a key its user cannot read or others can: nobody owns the client's side.
    for (const f of ['', 'id_ed25519', 'id_ed25519.pub']) {
      chownSync(path.join(clientDir, f), NOBODY, NOBODY);
    }
    // The throwaway key may open this one remote forward and nothing else (no shell, no PTY).
    writeFileSync(
      path.join(dir, 'authorized'),
      `restrict,port-forwarding,permitlisten="0.0.0.0:${port}" ${readFileSync(path.join(clientDir, 'id_ed25519.pub'), 'utf8')}`,
    );
    const config = path.join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${SSHD_PORT}`,
        `HostKey ${path.join(dir, 'host_key')}`,
        `AuthorizedKeysFile ${path.join(dir, 'authorized')}`,
        'PidFile none',
        // The temp dir is not a home directory with its usual modes.
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'AllowTcpForwarding remote',
        // The forwarded port listens on every address, so other hosts reach it.
        'GatewayPorts clientspecified',
        'X11Forwarding no',
        'PrintMotd no',
        '',
      ].join('\n'),
    );
    // sshd's privilege-separation directory (Debian's unit makes it; no unit runs here).
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    sshd = lab.spawn(server, '/usr/sbin/sshd', ['-D', '-e', '-f', config], {
      label: `${server}:sshd`,
    });
    await sshd.waitForLine((l) => l.includes(`port ${SSHD_PORT}`), 10_000);
    ssh = lab.spawn(
      client,
      AS_NOBODY[0] as string,
      [
        ...AS_NOBODY.slice(1),
        'ssh',
        '-N',
        '-F',
        '/dev/null',
        '-i',
        path.join(clientDir, 'id_ed25519'),
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'ExitOnForwardFailure=yes',
        '-o',
        'LogLevel=ERROR',
        '-p',
        String(SSHD_PORT),
        '-R',
        `0.0.0.0:${port}:${target}`,
        `root@${lab.ip(server)}`,
      ],
      { label: `${client}:ssh`, env: { HOME: clientDir } },
    );
    await waitForPort(lab.ip(server), port, ssh);
    return { port, sshd, client: ssh, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Poll until `ip:port` answers HTTP (the forward is up), or fail with the client's output. */
async function waitForPort(ip: string, port: number, client: LabProcess): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (!client.running) throw new Error(`ssh -R exited: ${client.tail()}`);
    const ok = await fetch(`http://${ip}:${port}/hello`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until)
      throw new Error(`ssh -R: port ${port} never answered: ${client.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
