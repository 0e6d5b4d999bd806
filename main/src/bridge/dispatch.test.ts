import type { DesktopApi } from '@cloud-connect/agent-core/desktop';
import { describe, expect, it } from 'vitest';
import { dispatchCall } from './dispatch.js';

const TOKEN = `eyJ${'a'.repeat(80)}`;

/** A DesktopApi whose every method records its call and answers it, or throws when told to. */
function recordingApi(throwing?: string) {
  const calls: Array<{ method: string; args: unknown[] }> = [];
  const api = new Proxy(
    {},
    {
      get:
        (_target, method: string) =>
        async (...args: unknown[]) => {
          if (method === throwing) throw new Error('secret detail of a bug');
          calls.push({ method, args });
          return { ok: true, value: method };
        },
    },
  ) as DesktopApi;
  return { api, calls };
}

describe('dispatchCall', () => {
  it('passes a call whose arguments match the contract to the API', async () => {
    const { api, calls } = recordingApi();
    const input = { kind: 'cloudflare', name: 'Blog', token: TOKEN };

    expect(await dispatchCall(api, 'addConnection', [input])).toEqual({
      ok: true,
      value: 'addConnection',
    });
    expect(calls).toEqual([
      { method: 'addConnection', args: [{ ...input, target: null, enabled: false }] },
    ]);
  });

  it('refuses a method the contract does not have, without calling anything', async () => {
    const { api, calls } = recordingApi();

    for (const method of ['constructor', 'toString', 42, undefined]) {
      expect(await dispatchCall(api, method, [])).toMatchObject({
        ok: false,
        code: 'UNKNOWN_METHOD',
      });
    }
    expect(calls).toEqual([]);
  });

  it('names every bad field in the relay’s words and calls nothing', async () => {
    const { api, calls } = recordingApi();

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
    const { api } = recordingApi();

    expect(await dispatchCall(api, 'addConnection', [])).toMatchObject({
      code: 'VALIDATION_ERROR',
      fields: { 'argument 0': expect.any(String) },
    });
    expect(await dispatchCall(api, 'addConnection', 'not a list')).toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });

  it('answers a method that throws with INTERNAL and none of the thrown detail', async () => {
    const { api } = recordingApi('listConnections');

    const result = await dispatchCall(api, 'listConnections', []);

    expect(result).toMatchObject({ ok: false, code: 'INTERNAL' });
    expect(JSON.stringify(result)).not.toContain('secret detail');
  });
});
