import type { SessionUser } from '../desktop/desktopApi.js';
import { memoryTokenStore, RelayClient } from '../client/relayClient.js';
import { attempt } from '../manager/results.js';
import { secretTokenStore } from '../manager/sessionTokens.js';
import type { CliContext } from './context.js';
import { unwrap } from './output.js';

/**
 * Sign in at `relayUrl` (already normalized), which may differ from the saved relay. The relay is
 * asked first with a client of its own whose tokens stay in memory: a wrong URL (nothing answers,
 * or not a relay) or a wrong password leaves the saved relay and the session as they were. Only
 * once it accepted the credentials does the saved relay change (the Manager signs the old session
 * out) and the new tokens go to the keychain.
 */
export async function signInAtRelay(
  ctx: CliContext,
  relayUrl: string,
  email: string,
  password: string,
): Promise<{ relayUrl: string; user: SessionUser }> {
  const pending = memoryTokenStore();
  const candidate = new RelayClient({ baseUrl: relayUrl }, pending);
  const res = unwrap(await attempt(() => candidate.login(email, password)));
  const tokens = await pending.load();
  if (relayUrl !== ctx.settings.getRelayUrl()) unwrap(await ctx.manager.setRelayUrl(relayUrl));
  await secretTokenStore(ctx.secrets).save(tokens);
  return { relayUrl, user: res.user };
}
