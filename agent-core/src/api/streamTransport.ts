/**
 * The stream transport's wire contract (SPEC.md "Stream transport"), shared by the relay and the
 * agent like the rest of the API contract.
 *
 * The agent opens an HTTP/1.1 request to the relay's own API URL, `GET STREAM_PATH` with
 * `Connection: Upgrade`, `Upgrade: STREAM_PROTOCOL` and `Authorization: Bearer <instance token>`.
 * The relay checks the token as every tunnel call does and answers `101 Switching Protocols`;
 * a refused token gets the API's JSON error (401/403/404) and the agent never retries it.
 * Over the upgraded socket the two speak HTTP/2 (Node's `http2`, no framing of our own): the
 * AGENT is the HTTP/2 server and the RELAY the client, so the relay opens one stream per edge
 * request and the agent answers each by dialing its configured target only (the request's
 * `:authority` is the public host, never a dial target). WebSockets ride on RFC 8441 extended
 * CONNECT (`:method CONNECT`, `:protocol websocket`).
 */
export const STREAM_PATH = '/v1/tunnel/stream';

/** The `Upgrade` token of a stream session. */
export const STREAM_PROTOCOL = 'cloud-connect-stream/1';

/**
 * HTTP/2 settings both ends apply to a session: a bounded number of concurrent streams and a
 * bounded header block, and windows that bound what one slow stream can make either side hold.
 */
export const STREAM_SESSION_SETTINGS = {
  // An agent's two sessions carry 1,024 requests at once (bench:sessions holds 1,000 open
  // through one agent); what they may make either end hold is bounded by the windows below.
  maxConcurrentStreams: 512,
  maxHeaderListSize: 64 * 1024,
  initialWindowSize: 1024 * 1024,
  // Larger DATA frames than HTTP/2's 16 KB default: fewer frames (and writes) per body.
  maxFrameSize: 256 * 1024,
  enableConnectProtocol: true,
} as const;

/**
 * The connection-level receive window each end opens on a session (HTTP/2 leaves it at 64 KB
 * whatever the streams' windows are). At 64 KB a body moved one window per round trip through
 * two busy processes (about a third less MB/s in bench:edge); a few streams' windows keep
 * bodies flowing, and it still bounds what one session can make the receiver hold.
 */
export const STREAM_SESSION_WINDOW = 4 * 1024 * 1024;

/**
 * How much of one body either end lets pile up in a socket's or a stream's write buffer before
 * it stops reading the other side (Node's default mark is 16 KB, less than one 64 KB read, so
 * each chunk of a large body stopped and restarted the reader). One frame's worth: a slow
 * reader still holds back the writer, and memory per stream stays bounded by this plus the
 * stream's window.
 */
export const STREAM_BODY_BUFFER = STREAM_SESSION_SETTINGS.maxFrameSize;

/** Sessions an agent keeps open at once; the relay spreads streams over the live ones. */
export const STREAM_SESSIONS_PER_AGENT = 2;

/**
 * Both ends ping through the session this often (liveness is measured on the data path itself);
 * STREAM_PING_DEADLINE_MS says when a silent one is dropped.
 */
export const STREAM_PING_INTERVAL_MS = 5_000;

/**
 * Either end drops a session when no ping answer has come for this long since the last one (or
 * since the session came up): two intervals, so a session that goes silent is gone within
 * 10 s on both sides whatever the phase of the ping ticks.
 */
export const STREAM_PING_DEADLINE_MS = 2 * STREAM_PING_INTERVAL_MS;
