// @ts-check
/**
 * A stand-in for the `cloudflared` binary, for tests: `cloudflared tunnel [flags] run` with
 * the token in TUNNEL_TOKEN (or --token). It behaves as /work/shared/FACTS.md and
 * cloudflared's source describe, without a network: the "edge" is simulated and told what to
 * do by a scenario file and signals (see README.md). Plain JavaScript on purpose: it starts
 * in ~0.1 s, where a TypeScript loader adds ~0.4 s to every (re)start.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const VERSION = '2025.8.1';
const EDGE_IPS = ['198.41.192.7', '198.41.200.13', '198.41.192.37', '198.41.200.113'];
const LOCATIONS = ['ams08', 'fra12', 'lhr01', 'man03'];
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/i;
const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Flags that take no value (every other `--flag` takes the next argument). */
const BOOLEAN_FLAGS = new Set(['no-autoupdate', 'post-quantum', 'no-tls-verify', 'version', 'v']);

/**
 * @typedef {object} Scenario
 * @property {string[]} hostnames ingress hostnames of the remotely-managed configuration
 * @property {string} service origin service of those hostnames
 * @property {string | null} reject the edge refuses registration with this reason
 * @property {number} readyDelayMs delay before the first connection registers
 * @property {number} connectionStaggerMs delay between the HA connections
 * @property {number} retryBaseMs unit of the reconnect backoff (cloudflared: 1 s)
 * @property {number | null} retries attempts before a lost connection gives up (default --retries, 5)
 * @property {number | null} haConnections connections to open (default --ha-connections, 4)
 * @property {number | null} exitAfterMs crash: exit this long after start, without a word
 * @property {number} exitCode exit code of that crash
 * @property {number} shutdownDelayMs how long the graceful shutdown takes after SIGTERM
 * @property {boolean} ignoreSigterm never finish the graceful shutdown (a hung process)
 * @property {boolean} startDropped the edge is unreachable from the start
 * @property {string | null} statusFile where to write the stand-in's state as JSON
 */

/** @type {Scenario} */
const DEFAULTS = {
  hostnames: ['app.example.com'],
  service: 'http://localhost:8080',
  reject: null,
  readyDelayMs: 0,
  connectionStaggerMs: 5,
  retryBaseMs: 1000,
  retries: null,
  haConnections: null,
  exitAfterMs: null,
  exitCode: 1,
  shutdownDelayMs: 0,
  ignoreSigterm: false,
  startDropped: false,
  statusFile: null,
};

// ---------------------------------------------------------------- output (zerolog console)

function timestamp() {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** zerolog quotes a value holding spaces, quotes, backslashes or non-printable bytes. */
function fieldValue(/** @type {unknown} */ value) {
  const s = String(value);
  return /[^\x21-\x7e]|["\\]/.test(s) ? JSON.stringify(s) : s;
}

/**
 * @param {'DBG' | 'INF' | 'WRN' | 'ERR'} level
 * @param {string} message
 * @param {Record<string, string | number>} [fields]
 */
function log(level, message, fields = {}) {
  const parts = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fieldValue(fields[k])}`);
  process.stderr.write(`${timestamp()} ${level} ${[message, ...parts].join(' ')}\n`);
}

/** Go's time.Duration formatting for whole milliseconds: 500ms, 1s, 1.6s, 1m4s. */
function goDuration(/** @type {number} */ ms) {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSeconds = ms / 1000;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = +(totalSeconds - minutes * 60).toFixed(3);
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** A usage error as cloudflared's cliutil prints it: bare, then exit code 255 (-1). */
function usageError(/** @type {string} */ message) {
  process.stderr.write(`${message}\nSee 'cloudflared tunnel run --help'.\n`);
  process.exit(255);
}

// ---------------------------------------------------------------- command line and token

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const flags = {};
  /** @type {string[]} */
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('-') && arg.length > 1) {
      const name = arg.replace(/^--?/, '');
      const eq = name.indexOf('=');
      if (eq >= 0) flags[name.slice(0, eq)] = name.slice(eq + 1);
      else if (BOOLEAN_FLAGS.has(name)) flags[name] = 'true';
      else flags[name] = argv[++i] ?? '';
    } else {
      positionals.push(arg);
    }
  }
  return { flags, positionals };
}

/**
 * cloudflared's ParseToken: standard base64 (padding required, CR/LF ignored) of a JSON
 * object `{"a": account tag, "t": tunnel UUID, "s": base64 secret}`.
 * @param {string} raw
 */
function parseToken(raw) {
  const text = raw.replace(/[\r\n]/g, '');
  if (text === '' || !STD_BASE64.test(text)) return null;
  /** @type {unknown} */
  let decoded;
  try {
    decoded = JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (decoded === null || typeof decoded !== 'object' || Array.isArray(decoded)) return null;
  const { a, t, s } = /** @type {{ a?: unknown, t?: unknown, s?: unknown }} */ (decoded);
  if (a !== undefined && typeof a !== 'string') return null;
  if (t !== undefined && !(typeof t === 'string' && UUID.test(t))) return null;
  if (s !== undefined && !(typeof s === 'string' && STD_BASE64.test(s))) return null;
  return { accountTag: a ?? '', tunnelId: t ?? ZERO_UUID, secret: s ?? '' };
}

/** @returns {Scenario & { tunnels?: unknown }} */
function loadScenario(/** @type {string} */ tunnelId) {
  const path = process.env.CLOUDFLARED_STANDIN_SCENARIO;
  /** @type {Record<string, unknown>} */
  let file = {};
  if (path) {
    try {
      file = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      log('ERR', 'stand-in: cannot read the scenario file', { error: String(err), path });
    }
  }
  const { tunnels, ...base } = file;
  const perTunnel =
    tunnels && typeof tunnels === 'object'
      ? /** @type {Record<string, object>} */ (tunnels)[tunnelId.toLowerCase()]
      : undefined;
  return { ...DEFAULTS, ...base, ...(perTunnel ?? {}) };
}

// ---------------------------------------------------------------- main

const argv = process.argv.slice(2);
if (argv[0] === 'version' || argv.includes('--version') || argv.includes('-v')) {
  process.stdout.write(`cloudflared version ${VERSION} (built 2025-08-01-0000 UTC)\n`);
  process.exit(0);
}
const { flags, positionals } = parseArgs(argv);
if (positionals[0] !== 'tunnel' || positionals[1] !== 'run') {
  process.stderr.write(
    'cloudflared stand-in: only "cloudflared tunnel [flags] run" is supported (see README.md)\n',
  );
  process.exit(2);
}
const rawToken = flags.token ?? process.env.TUNNEL_TOKEN ?? '';
if (rawToken === '') {
  usageError(
    '"cloudflared tunnel run" requires the ID or name of the tunnel to run as the last command line argument or in the configuration file.',
  );
}
const token = parseToken(rawToken);
if (!token) usageError('Provided Tunnel token is not valid.');
const { tunnelId, secret } = /** @type {NonNullable<typeof token>} */ (token);

let scenario = loadScenario(tunnelId);
const haConnections = scenario.haConnections ?? Number(flags['ha-connections'] ?? 4);
const maxRetries = scenario.retries ?? Number(flags.retries ?? 5);
const connectorId = randomUUID();
const startedAt = Date.now();
const parentPid = process.ppid;

/** Why the simulated edge refuses this token, if it does. */
function rejection() {
  if (scenario.reject) return scenario.reject;
  if (tunnelId === ZERO_UUID) return 'Unauthorized: Failed to get tunnel';
  if (secret === '') return 'Unauthorized: Invalid tunnel secret';
  return null;
}

/**
 * @typedef {object} Connection
 * @property {'idle' | 'waiting' | 'up' | 'gaveUp'} state
 * @property {number} failures
 * @property {NodeJS.Timeout | null} timer
 * @property {string} ip
 * @property {string} location
 */
/** @type {Connection[]} */
const connections = Array.from({ length: haConnections }, (_, i) => ({
  state: 'idle',
  failures: 0,
  timer: null,
  ip: EDGE_IPS[i % EDGE_IPS.length] ?? EDGE_IPS[0] ?? '',
  location: LOCATIONS[i % LOCATIONS.length] ?? '',
}));
let edgeReachable = !scenario.startDropped;
let configVersion = 0;
let shuttingDown = false;
let metricsAddress = '';

const upCount = () => connections.filter((c) => c.state === 'up').length;

function writeStatus(/** @type {'running' | 'exited'} */ state = 'running') {
  if (!scenario.statusFile) return;
  const body = JSON.stringify({
    pid: process.pid,
    state,
    tunnelId,
    connectorId,
    metrics: metricsAddress,
    readyConnections: upCount(),
    hostnames: scenario.hostnames,
    edgeReachable,
    configVersion,
  });
  const tmp = `${scenario.statusFile}.${process.pid}.tmp`;
  writeFileSync(tmp, body);
  renameSync(tmp, scenario.statusFile);
}

function exit(/** @type {number} */ code) {
  writeStatus('exited');
  process.exit(code);
}

function pushConfiguration() {
  configVersion++;
  const ingress = [
    ...scenario.hostnames.map((hostname) => ({ hostname, service: scenario.service })),
    { service: 'http_status:404' },
  ];
  const config = JSON.stringify({ ingress, 'warp-routing': { enabled: false } });
  log('INF', 'Updated to new configuration', { config, version: configVersion });
}

/** Try to register connection `i` with the simulated edge. */
function attempt(/** @type {number} */ i) {
  const c = connections[i];
  if (!c || shuttingDown || c.state === 'up' || c.state === 'gaveUp') return;
  c.timer = null;
  if (!edgeReachable) {
    log('ERR', 'Failed to dial a quic connection', {
      connIndex: i,
      error: 'failed to dial to edge with quic: timeout: no recent network activity',
      event: 0,
      ip: c.ip,
    });
    retryLater(i, true);
    return;
  }
  const reason = rejection();
  if (reason) {
    // cloudflared keeps retrying registration errors from the server side (FACTS.md).
    log('ERR', 'Register tunnel error from server side', {
      connIndex: i,
      error: reason,
      event: 0,
      ip: c.ip,
    });
    retryLater(i, false);
    return;
  }
  c.state = 'up';
  c.failures = 0;
  log('INF', 'Registered tunnel connection', {
    connIndex: i,
    connection: randomUUID(),
    event: 0,
    ip: c.ip,
    location: c.location,
    protocol: 'quic',
  });
  if (i === 0) {
    if (configVersion === 0) pushConfiguration();
    connections.forEach((other, j) => {
      if (other.state === 'idle' && j > 0) {
        other.state = 'waiting';
        other.timer = setTimeout(() => attempt(j), scenario.connectionStaggerMs * j);
      }
    });
  }
  writeStatus();
}

/** Back off as cloudflared does: random in [0, base·2^failures); give up after --retries. */
function retryLater(/** @type {number} */ i, /** @type {boolean} */ mayGiveUp) {
  const c = connections[i];
  if (!c) return;
  c.failures++;
  if (mayGiveUp && c.failures > maxRetries) {
    c.state = 'gaveUp';
    log('ERR', 'Connection terminated', { connIndex: i });
    if (connections.every((other) => other.state === 'gaveUp' || other.state === 'idle')) {
      log('ERR', 'no more connections active and exiting');
      log('INF', 'Tunnel server stopped');
      log('INF', 'Metrics server stopped');
      exit(0);
    }
    writeStatus();
    return;
  }
  const upTo = scenario.retryBaseMs * 2 ** Math.min(c.failures - 1, maxRetries);
  log('INF', `Retrying connection in up to ${goDuration(upTo)}`, {
    connIndex: i,
    event: 0,
    ip: c.ip,
  });
  c.state = 'waiting';
  c.timer = setTimeout(() => attempt(i), Math.random() * upTo);
  writeStatus();
}

/** SIGUSR1: the edge becomes unreachable and every connection is lost. */
function dropConnections() {
  edgeReachable = false;
  connections.forEach((c, i) => {
    if (c.state !== 'up') return;
    log('ERR', 'Serve tunnel error', {
      connIndex: i,
      error: 'timeout: no recent network activity',
      event: 0,
      ip: c.ip,
    });
    retryLater(i, true);
  });
  writeStatus();
}

/** SIGUSR2: the edge is reachable again; waiting connections register at their next retry. */
function restoreConnections() {
  edgeReachable = true;
  writeStatus();
}

/** SIGHUP: read the scenario again (new hostnames are pushed as a new configuration). */
function reloadScenario() {
  const before = JSON.stringify([scenario.hostnames, scenario.service]);
  scenario = loadScenario(tunnelId);
  if (before !== JSON.stringify([scenario.hostnames, scenario.service]) && upCount() > 0) {
    pushConfiguration();
  }
  writeStatus();
}

let terminations = 0;
function terminate(/** @type {NodeJS.Signals} */ signal) {
  terminations++;
  if (terminations === 1) {
    const name = signal === 'SIGINT' ? 'interrupt' : 'terminated';
    log('INF', `Initiating graceful shutdown due to signal ${name} ...`);
  }
  if (scenario.ignoreSigterm) return;
  if (terminations > 1) exit(0);
  shuttingDown = true;
  for (const c of connections) if (c.timer) clearTimeout(c.timer);
  setTimeout(() => {
    connections.forEach((c, i) => {
      if (c.state === 'up') {
        log('INF', 'Unregistered tunnel connection', { connIndex: i, event: 0, ip: c.ip });
      }
    });
    log('INF', 'Tunnel server stopped');
    log('INF', 'Metrics server stopped');
    server.closeAllConnections();
    server.close();
    exit(0);
  }, scenario.shutdownDelayMs);
}

const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://stand-in').pathname;
  if (path === '/ready') {
    const readyConnections = upCount();
    const status = readyConnections > 0 ? 200 : 503;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status, readyConnections, connectorId }));
  } else if (path === '/healthcheck') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('OK\n');
  } else if (path === '/metrics') {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(
      [
        '# HELP build_info Build and version information',
        '# TYPE build_info gauge',
        `build_info{goversion="go1.24.4",revision="stand-in",type="",version="${VERSION}"} 1`,
        '# HELP cloudflared_tunnel_ha_connections Number of active ha connections',
        '# TYPE cloudflared_tunnel_ha_connections gauge',
        `cloudflared_tunnel_ha_connections ${upCount()}`,
        '# HELP cloudflared_tunnel_total_requests Amount of requests proxied through all the tunnels',
        '# TYPE cloudflared_tunnel_total_requests counter',
        'cloudflared_tunnel_total_requests 0',
        '',
      ].join('\n'),
    );
  } else {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('404 page not found\n');
  }
});

/** Without --metrics cloudflared takes the first free of localhost:20241–20245. */
async function listen() {
  const candidates = flags.metrics
    ? [flags.metrics]
    : [20241, 20242, 20243, 20244, 20245, 0].map((p) => `localhost:${p}`);
  let lastError = '';
  for (const address of candidates) {
    const cut = address.lastIndexOf(':');
    const host = address.slice(0, cut) || 'localhost';
    const port = Number(address.slice(cut + 1));
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(undefined);
        });
      });
      const bound = server.address();
      return typeof bound === 'object' && bound ? `${host}:${bound.port}` : address;
    } catch (err) {
      lastError = `listen tcp ${address}: ${/** @type {Error} */ (err).message}`;
    }
  }
  log('ERR', 'Error opening metrics server listener', { error: lastError });
  return exit(1);
}

process.on('SIGTERM', terminate);
process.on('SIGINT', terminate);
process.on('SIGUSR1', dropConnections);
process.on('SIGUSR2', restoreConnections);
process.on('SIGHUP', reloadScenario);

log('INF', 'Starting tunnel', { tunnelID: tunnelId });
log('INF', `Version ${VERSION} (Checksum stand-in)`);
const goArch =
  { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' }[process.arch] ?? process.arch;
log('INF', `GOOS: ${process.platform}, GOVersion: go1.24.4, GoArch: ${goArch}`);
const settings = Object.entries(flags)
  .filter(([k]) => k !== 'token')
  .map(([k, v]) => `${k}:${v}`)
  .sort()
  .join(' ');
log('INF', `Settings: map[${settings}]`);
log('INF', `Generated Connector ID: ${connectorId}`);
log('INF', 'Initial protocol quic');
metricsAddress = await listen();
log('INF', `Starting metrics server on ${metricsAddress}/metrics`);
writeStatus();

if (scenario.exitAfterMs !== null) {
  setTimeout(
    () => exit(scenario.exitCode),
    Math.max(0, scenario.exitAfterMs - (Date.now() - startedAt)),
  );
}
setTimeout(() => attempt(0), scenario.readyDelayMs);
// A test runner that dies without stopping us must not leave an orphan on a shared machine.
setInterval(() => {
  if (process.ppid !== parentPid) exit(1);
}, 1000).unref();
