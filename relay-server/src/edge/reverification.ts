import { hasLapsed, releaseDomain } from '../commands/domains/domainClaims.js';
import { applyCheck, checkCname } from '../commands/domains/verifyDomain.js';
import type { Services } from '../services.js';

export interface Reverification {
  /** Check every verified domain now; resolves with how many stopped being verified. */
  runOnce(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Re-check every custom domain's CNAME each `intervalSeconds` (0 = never). A verified one
 * that no longer points at its instance goes back to `pending_verification` with the reason
 * (its `domain-changed` event takes it off the edge) and is released once the grace period
 * passes unmended; a DNS outage proves nothing and leaves it verified (the rule in
 * `applyCheck`). A pending claim that now points here is verified (the owner need not press
 * Verify within the TTL); one past its expiry is released, freeing the name. Domains are
 * checked one at a time: a slow resolver must not be hit by hundreds of parallel lookups.
 */
export function startReverification(deps: Services, intervalSeconds: number): Reverification {
  let running: Promise<number> | null = null;
  let closed = false;

  const runOnce = (): Promise<number> => {
    running ??= (async () => {
      let unverified = 0;
      try {
        // Read before the pass, so a domain unverified below is not looked up twice.
        const pending = await deps.store.domains.listPending();
        for (const d of await deps.store.domains.listVerified()) {
          if (closed) break;
          const check = await checkCname(deps, d);
          const updated = await applyCheck(deps, d, check);
          if (updated.status !== 'verified') {
            unverified++;
            deps.logger.info(
              { domain: d.domain, instance_id: d.instanceId, reason: updated.lastError },
              'domain no longer verified: CNAME changed',
            );
          }
        }
        for (const d of pending) {
          if (closed) break;
          if (hasLapsed(deps, d)) await releaseDomain(deps, d, 'expired');
          else await applyCheck(deps, d, await checkCname(deps, d));
        }
      } catch (e) {
        deps.logger.warn({ err: (e as Error).message }, 'domain re-verification failed');
      }
      return unverified;
    })().finally(() => (running = null));
    return running;
  };

  const timer =
    intervalSeconds > 0 ? setInterval(() => void runOnce(), intervalSeconds * 1000) : null;
  timer?.unref();

  return {
    runOnce,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
