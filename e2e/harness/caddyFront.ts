import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { until } from '@cloud-connect/relay-server/testing';
import type { LabProcess, NetLab } from './netlab.js';

/** Debian's Caddy terminating TLS in front of a lab service, with its own internal CA. */
export interface CaddyFront {
  proc: LabProcess;
  /** `https://<ip>:<port>`: what clients dial. */
  url: string;
  /** Caddy's root certificate (PEM), copied where any user can read it (NODE_EXTRA_CA_CERTS). */
  caFile: string;
}

/**
 * Start `caddy run` in lab host `host`, serving `https://<host ip>:<port>` with a certificate
 * from its internal CA (`tls internal`; the root is never installed in the system's trust store)
 * and proxying everything, upgrades included, to `upstream` (e.g. `127.0.0.1:8787`). Its state
 * lives in `dir` (a fresh directory the caller removes); resolves once the root certificate is
 * written and the site answers over TLS with it.
 */
export async function startCaddyFront(
  lab: NetLab,
  host: string,
  { port, upstream, dir }: { port: number; upstream: string; dir: string },
): Promise<CaddyFront> {
  const ip = lab.ip(host);
  const url = `https://${ip}:${port}`;
  const storage = path.join(dir, 'storage');
  const caddyfile = path.join(dir, 'Caddyfile');
  // The site is an IP address: clients send no SNI, so default_sni picks its certificate.
  await writeFile(
    caddyfile,
    `{
	admin off
	skip_install_trust
	auto_https disable_redirects
	default_sni ${ip}
	storage file_system ${storage}
}

${url} {
	tls internal
	reverse_proxy ${upstream}
}
`,
  );
  const proc = lab.spawn(host, 'caddy', ['run', '--adapter', 'caddyfile', '--config', caddyfile], {
    label: `${host}:caddy`,
    env: { HOME: dir, XDG_CONFIG_HOME: path.join(dir, 'config'), XDG_DATA_HOME: dir },
  });
  const shared = path.join(dir, 'ca');
  await mkdir(shared);
  const caFile = path.join(shared, 'root.crt');
  await until(
    'Caddy’s root certificate and its TLS site',
    async () => {
      if (!proc.running) throw new Error(`caddy exited:\n${proc.tail()}`);
      await copyFile(path.join(storage, 'pki/authorities/local/root.crt'), caFile);
      const r = await lab.exec(
        host,
        'curl',
        ['-sS', '-m', '3', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', caFile, url],
        { reject: false },
      );
      return r.exitCode === 0;
    },
    20_000,
    200,
  );
  // Readable by the unprivileged agent: the directory chain down to the file.
  for (const p of [dir, shared]) await chmod(p, 0o755);
  await chmod(caFile, 0o644);
  return { proc, url, caFile };
}
