import tls from 'node:tls';

export interface ProbeTarget {
  host: string;
  port: number;
  /** Check the chain against the system's CAs (public ACME certificates). */
  verifyChain: boolean;
  timeoutMs?: number;
}

export type ProbeResult = { ok: true; validTo: Date } | { ok: false; reason: string };

/**
 * Ask the edge for `domain`'s certificate the way a browser does: a TLS handshake with SNI =
 * domain. It succeeds only once Caddy holds a certificate for the name (with on-demand TLS the
 * handshake itself makes Caddy obtain it); the leaf must name the domain and be unexpired.
 * This is what `ssl_status: active` means — a client gets a certificate for the domain.
 */
export function probeCertificate(domain: string, target: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(r);
    };
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      servername: domain,
      rejectUnauthorized: target.verifyChain,
      ALPNProtocols: ['http/1.1'],
    });
    socket.setTimeout(target.timeoutMs ?? 30_000, () => done({ ok: false, reason: 'timed out' }));
    socket.once('secureConnect', () => {
      const cert = socket.getPeerCertificate();
      const names = (cert.subjectaltname ?? '')
        .split(',')
        .map((n) => n.trim().toLowerCase())
        .filter((n) => n.startsWith('dns:'))
        .map((n) => n.slice(4));
      const validTo = new Date(cert.valid_to);
      if (!names.includes(domain)) {
        return done({ ok: false, reason: `certificate names ${names.join(', ') || 'nothing'}` });
      }
      if (!(validTo.getTime() > Date.now())) return done({ ok: false, reason: 'expired' });
      done({ ok: true, validTo });
    });
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done({ ok: false, reason: e.code ?? e.message }),
    );
  });
}
