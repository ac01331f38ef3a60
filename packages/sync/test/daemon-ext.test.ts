/**
 * The extension envelope: a kernel backup (decodeSyncMessage, which mirrors ip_vs_process_message) drops an
 * extension datagram whole at its size check and applies none of its records; the trailer round-trips; the
 * HMAC refuses a changed byte, a wrong key and a missing MAC.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeSyncMessage,
  EXT_F_SEQUENCE,
  EXT_MAC_LEN,
  EXT_TRAILER_LEN,
  ExtKind,
  type ExtTrailer,
  encodeSyncMessages,
  readTrailer,
  writeTrailer,
} from '../src/index.js';
import { tcp4 } from './fixtures.js';

function wrap(message: Uint8Array, t: ExtTrailer, key?: string): Uint8Array {
  const b = new Uint8Array(message.length + EXT_TRAILER_LEN + EXT_MAC_LEN);
  b.set(message);
  return b.slice(0, writeTrailer(b, message.length, t, key));
}

const trailer = (): ExtTrailer => ({
  kind: ExtKind.DATA,
  flags: EXT_F_SEQUENCE,
  sender: 0xdeadbeef,
  sequence: 7,
  holdMs: 12,
});

describe('extension envelope', () => {
  for (const version of [1, 0] as const) {
    for (const key of [undefined, 'k3y']) {
      it(`v${version}${key ? ' + HMAC' : ''}: a kernel backup drops it as a message (bad-size), no record applied`, () => {
        const [m] = encodeSyncMessages([{ ...tcp4, ...(version === 0 ? { fwmark: 0, timeout: 0 } : {}) }], {
          version,
          syncid: 3,
        });
        expect(decodeSyncMessage(m!, { syncid: 3 }).conns.length).toBe(1);
        const d = wrap(m!, trailer(), key);
        expect(d.length).toBe(m!.length + EXT_TRAILER_LEN + (key ? EXT_MAC_LEN : 0));
        const r = decodeSyncMessage(d, { syncid: 3 });
        expect(r.messageDropped).toBe('bad-size');
        expect(r.conns).toEqual([]);
        expect(r.dropped).toEqual({});
        // and with syncid 0 (accept all) too: the size check comes first
        expect(decodeSyncMessage(d, {}).messageDropped).toBe('bad-size');
      });
    }
  }

  it('round trip: message and trailer fields come back; a plain datagram has no trailer', () => {
    const [m] = encodeSyncMessages([tcp4], { syncid: 1 });
    const out: ExtTrailer = { kind: ExtKind.DATA, flags: 0, sender: 0, sequence: 0, holdMs: 0 };
    const r = readTrailer(wrap(m!, trailer(), 'secret'), 'secret', out);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Buffer.from(r.message).equals(Buffer.from(m!))).toBe(true);
    expect(r.trailer).toEqual({
      kind: ExtKind.DATA,
      flags: EXT_F_SEQUENCE | 2,
      sender: 0xdeadbeef,
      sequence: 7,
      holdMs: 12,
    });
    const plain = readTrailer(m!, undefined, out);
    expect(plain.ok && plain.trailer === undefined && plain.message.length === m!.length).toBe(true);
  });

  it('HMAC: a changed byte, another key, no MAC, no trailer: refused with the reason', () => {
    const [m] = encodeSyncMessages([tcp4], { syncid: 1 });
    const out: ExtTrailer = { kind: ExtKind.DATA, flags: 0, sender: 0, sequence: 0, holdMs: 0 };
    const good = wrap(m!, trailer(), 'secret');
    const flipped = good.slice();
    flipped[20] = (flipped[20] ?? 0) ^ 1;
    expect(readTrailer(flipped, 'secret', out)).toEqual({ ok: false, refusal: 'bad-mac' });
    expect(readTrailer(good, 'other', out)).toEqual({ ok: false, refusal: 'bad-mac' });
    expect(readTrailer(wrap(m!, trailer()), 'secret', out)).toEqual({ ok: false, refusal: 'missing-mac' });
    expect(readTrailer(m!, 'secret', out)).toEqual({ ok: false, refusal: 'missing-mac' });
    const junk = new Uint8Array(m!.length + 5);
    junk.set(m!);
    expect(readTrailer(junk, undefined, out)).toEqual({ ok: false, refusal: 'bad-trailer' });
  });
});
