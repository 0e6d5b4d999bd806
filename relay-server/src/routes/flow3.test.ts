import { describe, expect, it } from 'vitest';
import { createAccount, createInstance, recordingWireGuard, setPlan } from '../testing/index.js';
import { useDnsRelay } from '../testing/relayFixtures.js';
import { generateKeyPair } from '@cloud-connect/agent-core/wireguard';

const ctx = useDnsRelay({
  env: { RELAY_BASE_DOMAIN: 'erugo.cloud' },
  services: { wireguard: recordingWireGuard() },
});

describe('seed 003 flow 3: adding a custom domain', () => {
  it('add → CNAME instructions → record at the DNS provider → verify → verified, listed and routed', async () => {
    // 1–3. A Pro user with a connected instance opens its settings.
    const user = await createAccount(ctx.t, { name: 'John Doe' });
    await setPlan(ctx.t, user, 'pro');
    const sub = `myfiles${Date.now().toString(36)}`;
    const { instance, credentials } = await createInstance(ctx.t, user, sub, 'My Erugo Server');
    const agent = { token: credentials.instance_token };
    const owner = { token: user.accessToken };
    expect(
      (await ctx.t.api.post('/tunnel/register', { public_key: generateKeyPair().publicKey }, agent))
        .status,
    ).toBe(200);
    expect((await ctx.t.api.post('/tunnel/heartbeat', {}, agent)).status).toBe(200);

    // 4–5. POST /instances/{id}/domains answers the CNAME to create.
    const added = await ctx.t.api.post(
      `/instances/${instance.id}/domains`,
      { domain: 'share.example.com' },
      owner,
    );
    expect(added.status).toBe(201);
    expect(added.body).toEqual({
      domain: 'share.example.com',
      status: 'pending_verification',
      verification: {
        type: 'CNAME',
        name: 'share',
        value: `${instance.id}.tunnel.erugo.cloud`,
        instructions: 'Add this CNAME record to your DNS provider',
      },
      // Additive to seed 003: when the unverified claim lapses (DOMAIN_PENDING_TTL_H).
      expires_at: expect.stringMatching(/Z$/),
    });
    // Clicking Verify before the record exists keeps it pending.
    const early = await ctx.t.api.post(
      `/instances/${instance.id}/domains/share.example.com/verify`,
      undefined,
      owner,
    );
    expect(early.body).toEqual({
      domain: 'share.example.com',
      status: 'pending_verification',
      error: 'CNAME record not found',
    });
    const statusBefore = await ctx.t.api.get('/tunnel/status', agent);
    expect(statusBefore.body.domains.custom_domains).toEqual([
      {
        domain: 'share.example.com',
        status: 'pending_verification',
        ssl_status: 'pending',
        verification_status: 'pending_verification',
      },
    ]);

    // 6. The user adds the record at their DNS provider, exactly as instructed.
    const { name, value } = added.body.verification;
    ctx.dns.set(`${name}.example.com`, 'CNAME', value);

    // 7–9. Verify: the API checks DNS and starts provisioning SSL.
    const verified = await ctx.t.api.post(
      `/instances/${instance.id}/domains/share.example.com/verify`,
      undefined,
      owner,
    );
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({
      domain: 'share.example.com',
      status: 'verified',
      ssl_status: 'provisioning',
    });
    expect(ctx.dns.queries.filter((q) => q.name === 'share.example.com')).toContainEqual({
      name: 'share.example.com',
      type: 'CNAME',
    });

    // 10. The domain is active: listed, on the instance, and in the agent's status.
    const list = await ctx.t.api.get(`/instances/${instance.id}/domains`, owner);
    expect(list.body.domains).toEqual([
      expect.objectContaining({
        domain: 'share.example.com',
        status: 'verified',
        ssl_status: 'provisioning',
        verified_at: expect.stringMatching(/Z$/),
        error: null,
      }),
    ]);
    const detail = await ctx.t.api.get(`/instances/${instance.id}`, owner);
    expect(detail.body).toMatchObject({ custom_domain: 'share.example.com', status: 'connected' });
    const status = await ctx.t.api.get('/tunnel/status', agent);
    expect(status.body).toEqual({
      tunnel_status: 'connected',
      // Additive to seed 003: the status model and the address a browser opens.
      agent: { alive: true, last_seen: expect.any(String) },
      data_path: expect.objectContaining({ state: 'unchecked', checked_by_relay: false }),
      public_url: `https://${sub}.erugo.cloud`,
      // Additive too: the data path in use (a registered key and no stream session).
      transport: 'wireguard',
      domains: {
        subdomain: { domain: `${sub}.erugo.cloud`, status: 'active' },
        custom_domains: [
          {
            domain: 'share.example.com',
            status: 'active',
            ssl_status: 'provisioning',
            verification_status: 'verified',
          },
        ],
      },
    });
    // A re-registering agent is told about the domain as well.
    const again = await ctx.t.api.post(
      '/tunnel/register',
      { public_key: generateKeyPair().publicKey },
      agent,
    );
    expect(again.body.domains).toEqual({
      subdomain: `${sub}.erugo.cloud`,
      custom_domains: ['share.example.com'],
    });
  });
});
