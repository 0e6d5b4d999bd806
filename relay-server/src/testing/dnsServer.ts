import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type Question } from 'dns-packet';

/** The record types the test server can hold. */
export type DnsRecordType = 'CNAME' | 'A' | 'TXT';

/**
 * A failure to simulate instead of answering from the table:
 * - `servfail`: the query gets SERVFAIL, like a broken authoritative server;
 * - `timeout`: the query is dropped, like an unreachable server (the client times out).
 */
export type DnsFailure = 'servfail' | 'timeout';

/** One query the server received, for tests that check what the relay asked. */
export interface DnsQueryLog {
  name: string;
  type: string;
}

/** A real UDP DNS server on loopback that serves a mutable record table. */
export interface TestDnsServer {
  readonly host: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, the value for `DNS_SERVERS`. */
  readonly address: string;
  /** Queries received so far, oldest first. */
  readonly queries: readonly DnsQueryLog[];
  /** Replace the records of `type` at `name` with `values` (one or many). */
  set(name: string, type: DnsRecordType, value: string | string[]): void;
  /** Remove `name` entirely (or only its records of `type`): it answers NXDOMAIN again. */
  remove(name: string, type?: DnsRecordType): void;
  /**
   * Fail queries for `name` (every name when omitted) the way `failure` says; `null` restores
   * normal answers. A failure set for one name wins over the all-names setting.
   */
  simulate(failure: DnsFailure | null, name?: string): void;
  close(): Promise<void>;
}

const TTL_SECONDS = 1;
const ALL_NAMES = '*';
/** DNS RCODE values (RFC 1035 §4.1.1). */
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** Names compare case-insensitively and without the root dot. */
const normalise = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * Start a DNS server on 127.0.0.1, port 0. The relay asks it through `DNS_SERVERS` exactly as
 * it would ask a provider's server, so CNAME verification is tested against real DNS packets.
 * A CNAME is also returned (as a real server would) when another type is asked of an alias.
 */
export async function startDnsServer(
  options: {
    /** Address to bind (default 127.0.0.1; namespace tests use the lab bridge's). */
    host?: string;
  } = {},
): Promise<TestDnsServer> {
  const table = new Map<string, Map<DnsRecordType, string[]>>();
  const queries: DnsQueryLog[] = [];
  /** Simulated failures by name; ALL_NAMES applies to every name. */
  const failures = new Map<string, DnsFailure>();
  const socket: Socket = createSocket('udp4');

  function answersFor(q: Question): { rcode: number; answers: Answer[] } {
    const name = normalise(q.name);
    const records = table.get(name);
    if (!records) return { rcode: RCODE.NXDOMAIN, answers: [] };
    const wanted = records.get(q.type as DnsRecordType);
    const cname = records.get('CNAME');
    // Two branches because dns-packet types TXT data apart from name/address data.
    const make = (type: DnsRecordType, data: string): Answer =>
      type === 'TXT'
        ? { type, name: q.name, ttl: TTL_SECONDS, class: 'IN', data }
        : { type, name: q.name, ttl: TTL_SECONDS, class: 'IN', data };
    if (wanted) {
      return { rcode: RCODE.NOERROR, answers: wanted.map((v) => make(q.type as DnsRecordType, v)) };
    }
    if (cname) return { rcode: RCODE.NOERROR, answers: cname.map((v) => make('CNAME', v)) };
    return { rcode: RCODE.NOERROR, answers: [] };
  }

  const failureFor = (name: string) => failures.get(normalise(name)) ?? failures.get(ALL_NAMES);

  function reply(query: DecodedPacket, rinfo: RemoteInfo): void {
    const [question] = query.questions ?? [];
    let rcode: number = RCODE.SERVFAIL;
    let answers: Answer[] = [];
    if (question && !failureFor(question.name)) ({ rcode, answers } = answersFor(question));
    const flags =
      dnsPacket.AUTHORITATIVE_ANSWER | (query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) | rcode;
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id ?? 0,
      flags,
      questions: query.questions ?? [],
      answers,
    });
    socket.send(response, rinfo.port, rinfo.address);
  }

  socket.on('message', (msg, rinfo) => {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return; // not DNS: a real server drops it too
    }
    for (const q of query.questions ?? []) queries.push({ name: normalise(q.name), type: q.type });
    const [first] = query.questions ?? [];
    if (first && failureFor(first.name) === 'timeout') return;
    reply(query, rinfo);
  });

  socket.bind(0, options.host ?? '127.0.0.1');
  await once(socket, 'listening');
  const { address: host, port } = socket.address() as AddressInfo;
  let closed: Promise<void> | null = null;

  return {
    host,
    port,
    address: `${host}:${port}`,
    queries,
    set(name, type, value) {
      const key = normalise(name);
      const records = table.get(key) ?? new Map<DnsRecordType, string[]>();
      records.set(
        type,
        (Array.isArray(value) ? value : [value]).map((v) => v.replace(/\.$/, '')),
      );
      table.set(key, records);
    },
    remove(name, type) {
      const key = normalise(name);
      if (!type) {
        table.delete(key);
        return;
      }
      const records = table.get(key);
      records?.delete(type);
      if (records && records.size === 0) table.delete(key);
    },
    simulate(failure, name) {
      const key = name === undefined ? ALL_NAMES : normalise(name);
      if (failure) failures.set(key, failure);
      else failures.delete(key);
    },
    close() {
      closed ??= new Promise<void>((resolve) => socket.close(() => resolve()));
      return closed;
    },
  };
}
