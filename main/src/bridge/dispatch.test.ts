import { describe, expect, it } from 'vitest';
import { recordingDesktopApi } from '../testing/recordingDesktopApi.js';
import { dispatchCall } from './dispatch.js';

const TOKEN = `eyJ${'a'.repeat(80)}`;

describe('dispatchCall', () => {
  it('passes a call whose arguments match the contract to the API', async () => {
    const { api, calls } = recordingDesktopApi();
    const input = { kind: 'cloudflare', name: 'Blog', token: TOKEN };

    expect(await dispatchCall(api, 'addConnection', [input])).toEqual({
      ok: true,
      value: 'addConnection',
    });
    expect(calls).toEqual([
      { method: 'addConnection', args: [{ ...input, target: null, enabled: false }] },
    ]);
  });

  it('gives a relay connection the auto transport when the call leaves it out, and refuses one that is not auto, wireguard or stream', async () => {
    const { api, calls } = recordingDesktopApi();
    const input = {
      kind: 'relay',
      name: 'Photos',
      instanceId: 'inst_abcdefghij12',
      target: 'http://localhost:8080',
    };

    expect(await dispatchCall(api, 'addConnection', [input])).toMatchObject({ ok: true });
    expect(await dispatchCall(api, 'addConnection', [{ ...input, transport: 'udp' }])).toEqual({
      ok: false,
      code: 'VALIDATION_ERROR',
      message: 'Invalid request: transport must be auto, wireguard or stream',
      fields: { transport: 'must be auto, wireguard or stream' },
    });
    expect(
      await dispatchCall(api, 'updateConnection', ['conn_abc123', { transport: 'tcp' }]),
    ).toMatchObject({
      ok: false,
      code: 'VALIDATION_ERROR',
      fields: { transport: expect.any(String) },
    });
    expect(calls).toEqual([
      { method: 'addConnection', args: [{ ...input, transport: 'auto', enabled: false }] },
    ]);
  });

  it('refuses a method the contract does not have, without calling anything', async () => {
    const { api, calls } = recordingDesktopApi();

    for (const method of ['constructor', 'toString', 42, undefined]) {
      expect(await dispatchCall(api, method, [])).toMatchObject({
        ok: false,
        code: 'UNKNOWN_METHOD',
      });
    }
    expect(calls).toEqual([]);
  });

  it('names every bad field in the relay’s words and calls nothing', async () => {
    const { api, calls } = recordingDesktopApi();

    const bad = await dispatchCall(api, 'addConnection', [
      { kind: 'cloudflare', token: TOKEN, colour: 'red' },
    ]);

    expect(bad).toEqual({
      ok: false,
      code: 'VALIDATION_ERROR',
      message: 'Invalid request: name is required',
      fields: { name: 'is required', colour: 'is not a known field' },
    });
    expect(calls).toEqual([]);
  });

  it('names a missing or malformed argument by its position', async () => {
    const { api } = recordingDesktopApi();

    expect(await dispatchCall(api, 'addConnection', [])).toMatchObject({
      code: 'VALIDATION_ERROR',
      fields: { 'argument 0': expect.any(String) },
    });
    expect(await dispatchCall(api, 'addConnection', 'not a list')).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });

  it.each([[''], ['not an address'], [42], [`${'a'.repeat(300)}@example.test`]])(
    'refuses one-click verification for %j, which is no email address, and calls nothing',
    async (email) => {
      const { api, calls } = recordingDesktopApi();

      expect(await dispatchCall(api, 'verifyEmailLocally', [email])).toMatchObject({
        ok: false,
        code: 'VALIDATION_ERROR',
      });
      expect(calls).toEqual([]);
    },
  );

  it('answers a method that throws with INTERNAL and none of the thrown detail', async () => {
    const { api } = recordingDesktopApi('listConnections');

    const result = await dispatchCall(api, 'listConnections', []);

    expect(result).toMatchObject({ ok: false, code: 'INTERNAL' });
    expect(JSON.stringify(result)).not.toContain('secret detail');
  });
});
