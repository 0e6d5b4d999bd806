import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogCapture } from '../testing/logCapture.js';
import { startRelay } from '../relay.js';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from './config.js';

type Variable = (typeof CONFIG_VARIABLES)[number][0];

const STRIPE = {
  STRIPE_SECRET_KEY: 'sk_test_config',
  STRIPE_WEBHOOK_SECRET: 'whsec_config',
  STRIPE_PRICE_PRO: 'price_pro',
  STRIPE_PRICE_BUSINESS: 'price_business',
};

interface BadValue {
  value: string | ((dir: string) => Promise<string>);
  /** Other variables the bad value needs around it (Stripe's come as a set). */
  with?: Record<string, string>;
}

/**
 * At least one bad value per variable. Keyed by every name in CONFIG_VARIABLES, so a new
 * variable does not compile until someone says what a wrong value of it looks like.
 */
const BAD: Record<Variable, BadValue[]> = {
  RELAY_HOST: [{ value: 'not a host!' }, { value: '127.0.0.1:8787' }],
  RELAY_PORT: [{ value: 'abc' }, { value: '70000' }, { value: '-1' }, { value: '80.5' }],
  RELAY_DATA_DIR: [
    {
      // A file where the directory should be: only known when the relay starts.
      value: async (dir) => {
        const file = path.join(dir, 'not-a-directory');
        await writeFile(file, 'x');
        return file;
      },
    },
  ],
  RELAY_PUBLIC_URL: [{ value: 'relay.example.com' }, { value: 'ftp://relay.example.com' }],
  RELAY_BASE_DOMAIN: [{ value: 'not a domain' }, { value: '-bad-.example.com' }],
  RELAY_SECRET: [{ value: 'too-short-secret' }],
  RELAY_TRUST_PROXY: [{ value: 'yes' }],
  LOG_LEVEL: [{ value: 'loud' }],
  METRICS_TOKEN: [{ value: 'short' }, { value: '123456789012345' }],
  SMTP_URL: [{ value: 'http://mail.example.com' }, { value: 'mail.example.com:25' }],
  STRIPE_SECRET_KEY: [{ value: 'pk_test_publishable', with: STRIPE }],
  STRIPE_WEBHOOK_SECRET: [{ value: 'not-a-signing-secret', with: STRIPE }],
  STRIPE_PRICE_PRO: [{ value: 'price with spaces', with: STRIPE }],
  STRIPE_PRICE_BUSINESS: [{ value: 'price_pro', with: STRIPE }],
  STRIPE_API_BASE: [
    { value: 'not a url', with: STRIPE },
    { value: 'ftp://stripe.test', with: STRIPE },
  ],
  DNS_SERVERS: [
    { value: 'dns.example.com:53' },
    { value: '127.0.0.1:99999' },
    { value: '1.1.1.1,' },
  ],
  TUNNEL_CIDR: [
    { value: '10.100.0.0' },
    { value: '10.100.0.0/33' },
    { value: '300.1.0.0/16' },
    { value: '10.100.0.0/31' },
  ],
  WG_ENDPOINT: [{ value: 'relay.example.com' }, { value: 'relay.example.com:port' }],
  WG_MODE: [{ value: 'userspace' }],
  WG_INTERFACE: [{ value: 'a name with spaces' }, { value: 'much-too-long-name' }],
  WG_LISTEN_PORT: [{ value: 'wg' }, { value: '65536' }],
  EDGE_MODE: [{ value: 'nginx' }],
  EDGE_HOST: [{ value: 'not a host!' }],
  EDGE_PORT: [{ value: '8080/tcp' }],
  EDGE_PUBLIC_URL: [
    { value: 'example.com' },
    { value: 'ftp://localhost' },
    { value: 'https://other.example' },
    { value: 'https://localhost/apps' },
    { value: 'https://localhost/?q=1' },
  ],
  EDGE_CONNECT_TIMEOUT_MS: [{ value: '5s' }, { value: '0' }, { value: '1.5' }],
  EDGE_RESPONSE_TIMEOUT_MS: [{ value: '-1' }, { value: '99999999999' }],
  EDGE_IDLE_TIMEOUT_MS: [{ value: 'forever' }],
  EDGE_KEEPALIVE_TIMEOUT_MS: [{ value: '10 s' }],
  EDGE_CADDY_ADMIN: [{ value: 'localhost:2019' }, { value: 'unix:relative.sock' }],
  EDGE_CADDY_ASK_LISTEN: [{ value: '127.0.0.1' }, { value: 'localhost:9000' }],
  EDGE_CADDY_ISSUER: [{ value: 'letsencrypt' }],
  DOMAIN_REVERIFY_INTERVAL_S: [{ value: '1h' }, { value: '999999999' }],
  DOMAIN_PENDING_TTL_H: [{ value: '0' }, { value: '3d' }, { value: '9000' }],
  DOMAIN_RELEASE_GRACE_H: [{ value: '-1' }, { value: '1.5' }],
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cc-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Read the env and start the relay as `server.ts` does; stop it again if it started. */
async function start(env: Record<string, string>): Promise<void> {
  const config = loadConfig({ RELAY_PORT: '0', LOG_LEVEL: 'silent', ...env });
  const relay = await startRelay(config, { logDestination: new LogCapture() });
  await relay.close();
}

const rows = CONFIG_VARIABLES.flatMap(([name]) =>
  BAD[name].map((bad, i) => [name, bad, i] as const),
);

describe('a bad value stops start-up with a ConfigError naming the variable', () => {
  it.each(rows)('%s (bad value %#)', async (name, bad, i) => {
    const dataDir = await mkdtemp(path.join(dir, `${name}-${i}-`));
    const value = typeof bad.value === 'string' ? bad.value : await bad.value(dataDir);
    const failure = await start({ RELAY_DATA_DIR: dataDir, ...bad.with, [name]: value }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure, `${name}=${value} was accepted`).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).variable).toBe(name);
    expect((failure as ConfigError).message).toMatch(new RegExp(`^${name}: `));
  });

  it('the same start-up succeeds with none of the bad values, so each failure above is its own', async () => {
    const dataDir = await mkdtemp(path.join(dir, 'good-'));
    await expect(start({ RELAY_DATA_DIR: dataDir, ...STRIPE })).resolves.toBeUndefined();
  });
});

describe('Stripe half-configured', () => {
  it.each(['STRIPE_WEBHOOK_SECRET', 'STRIPE_PRICE_PRO', 'STRIPE_PRICE_BUSINESS'])(
    'names %s when STRIPE_SECRET_KEY is set without it',
    (missing) => {
      const env: Record<string, string> = { ...STRIPE };
      delete env[missing];
      expect(() => loadConfig(env)).toThrow(
        expect.objectContaining({ variable: missing, message: expect.stringContaining(missing) }),
      );
    },
  );

  it.each([
    'STRIPE_WEBHOOK_SECRET',
    'STRIPE_PRICE_PRO',
    'STRIPE_PRICE_BUSINESS',
    'STRIPE_API_BASE',
  ])('names STRIPE_SECRET_KEY when only %s is set', (only) => {
    const value = only === 'STRIPE_API_BASE' ? 'http://127.0.0.1:12111' : 'whsec_x';
    expect(() => loadConfig({ [only]: value })).toThrow(
      expect.objectContaining({ variable: 'STRIPE_SECRET_KEY' }),
    );
  });

  it('with all four set, billing is on; with none, every account is Free', () => {
    expect(loadConfig(STRIPE).stripe).toEqual({
      secretKey: 'sk_test_config',
      webhookSecret: 'whsec_config',
      pricePro: 'price_pro',
      priceBusiness: 'price_business',
      apiBase: null,
    });
    expect(loadConfig({}).stripe).toBeNull();
  });
});

describe('defaults', () => {
  it('are the documented ones', () => {
    const c = loadConfig({}, '/srv/relay');
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      dataDir: '/srv/relay/.data/relay',
      publicUrl: 'http://127.0.0.1:8787',
      baseDomain: 'localhost',
      secret: null,
      smtpUrl: null,
      stripe: null,
      dnsServers: null,
      wgEndpoint: 'localhost:51820',
      wgMode: 'off',
      wgInterface: 'ccwg0',
      wgListenPort: 51820,
      edgeMode: 'builtin',
      edgeHost: '0.0.0.0',
      edgePort: 8080,
      trustProxy: false,
      logLevel: 'info',
    });
    expect(c.tunnelCidr).toMatchObject({ prefix: 16 });
  });

  /** `<RELAY_HOST>` in a documented default stands for that variable's own default. */
  const literal = (value: string): string | null => {
    if (/^\(.*\)$|^—$|^generated$/.test(value)) return null;
    return value.replace(/<([A-Z_]+)>/g, (_m, name: string) => {
      const row = CONFIG_VARIABLES.find(([n]) => n === name);
      if (!row) throw new Error(`unknown variable <${name}> in a documented default`);
      return row[1];
    });
  };
  const documented = CONFIG_VARIABLES.filter(([, def]) => literal(def) !== null);

  it.each(documented)('setting %s to its documented default %s changes nothing', (name, def) => {
    expect(loadConfig({ [name]: literal(def)! }, '/srv/relay')).toEqual(
      loadConfig({}, '/srv/relay'),
    );
  });

  it('unset and empty are the same', () => {
    const empty = Object.fromEntries(CONFIG_VARIABLES.map(([name]) => [name, '  ']));
    expect(loadConfig(empty, '/srv/relay')).toEqual(loadConfig({}, '/srv/relay'));
  });

  it('a public URL loses its trailing slash and WG_ENDPOINT follows the base domain', () => {
    const c = loadConfig({
      RELAY_PUBLIC_URL: 'https://relay.example.com/',
      RELAY_BASE_DOMAIN: 'Relay.Example.com',
    });
    expect(c.publicUrl).toBe('https://relay.example.com');
    expect(c.baseDomain).toBe('relay.example.com');
    expect(c.wgEndpoint).toBe('relay.example.com:51820');
  });
});
