import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hsiphash32, sipHash, sipHashKey } from '../src/siphash.js';

// Published test vectors. SipHash-2-4: the reference implementation (github.com/veorq/SipHash vectors.h),
// as carried by the kernel's lib/tests/siphash_kunit.c `test_vectors_siphash`: key 00 01 … 0f, vector n hashes
// the bytes 00 01 … n-1. hsiphash on 64-bit kernels (SipHash-1-3, low 32 bits): the same file's
// `test_vectors_hsiphash` under `BITS_PER_LONG == 64`, same key and messages.
const KEY = sipHashKey(0x0706050403020100n, 0x0f0e0d0c0b0a0908n);
const SIPHASH_2_4 = [
  0x726fdb47dd0e0e31n,
  0x74f839c593dc67fdn,
  0x0d6c8009d9a94f5an,
  0x85676696d7fb7e2dn,
  0xcf2794e0277187b7n,
  0x18765564cd99a68dn,
  0xcbc9466e58fee3cen,
  0xab0200f58b01d137n,
  0x93f5f5799a932462n,
  0x9e0082df0ba9e4b0n,
  0x7a5dbbc594ddb9f3n,
  0xf4b32f46226bada7n,
  0x751e8fbc860ee5fbn,
  0x14ea5627c0843d90n,
  0xf723ca908e7af2een,
  0xa129ca6149be45e5n,
  0x3f2acc7f57c29bdbn,
  0x699ae9f52cbe4794n,
  0x4bc1b3f0968dd39cn,
  0xbb6dc91da77961bdn,
  0xbed65cf21aa2ee98n,
  0xd0f2cbb02e3b67c7n,
  0x93536795e3a33e88n,
  0xa80c038ccd5ccec8n,
  0xb8ad50c6f649af94n,
  0xbce192de8a85b8ean,
  0x17d835b85bbb15f3n,
  0x2f2e6163076bcfadn,
  0xde4daaaca71dc9a5n,
  0xa6a2506687956571n,
  0xad87a3535c49ef28n,
  0x32d892fad841c342n,
  0x7127512f72f27ccen,
  0xa7f32346f95978e3n,
  0x12e0b01abb051238n,
  0x15e034d40fa197aen,
  0x314dffbe0815a3b4n,
  0x027990f029623981n,
  0xcadcd4e59ef40c4dn,
  0x9abfd8766a33735cn,
  0x0e3ea96b5304a7d0n,
  0xad0c42d6fc585992n,
  0x187306c89bc215a9n,
  0xd4a60abcf3792b95n,
  0xf935451de4f21df2n,
  0xa9538f0419755787n,
  0xdb9acddff56ca510n,
  0xd06c98cd5c0975ebn,
  0xe612a3cb9ecba951n,
  0xc766e62cfcadaf96n,
  0xee64435a9752fe72n,
  0xa192d576b245165an,
  0x0a8787bf8ecb74b2n,
  0x81b3e73d20b49b6fn,
  0x7fa8220ba3b2ecean,
  0x245731c13ca42499n,
  0xb78dbfaf3a8d83bdn,
  0xea1ad565322a1a0bn,
  0x60e61c23a3795013n,
  0x6606d7e446282b93n,
  0x6ca4ecb15c5f91e1n,
  0x9f626da15c9625f3n,
  0xe51b38608ef25f57n,
  0x958a324ceb064572n,
];
const HSIPHASH_64BIT = [
  0x050fc4dc, 0x7d57ca93, 0x4dc7d44d, 0xe7ddf7fb, 0x88d38328, 0x49533b67, 0xc59f22a7, 0x9bb11140, 0x8d299a8e,
  0x6c063de4, 0x92ff097f, 0xf94dc352, 0x57b4d9a2, 0x1229ffa7, 0xc0f95d34, 0x2a519956, 0x7d908b66, 0x63dbd80c,
  0xb473e63e, 0x8d297d1c, 0xa6cce040, 0x2b45f844, 0xa320872e, 0xdae6c123, 0x67349c8c, 0x705b0979, 0xca9913a5,
  0x4ade3b35, 0xef6cd00d, 0x4ab1e1f4, 0x43c5e663, 0x8c21d1bc, 0x16a7b60d, 0x7a8ff9bf, 0x1f2a753e, 0xbf186b91,
  0xada26206, 0xa3c33057, 0xae3a36a1, 0x7b108392, 0x99e41531, 0x3f1ad944, 0xc8138825, 0xc28949a6, 0xfaf8876b,
  0x9f042196, 0x68b1d623, 0x8b5114fd, 0xdf074c46, 0x12cc86b3, 0x0a52098f, 0x9d292f9a, 0xa2f41f12, 0x43a71ed0,
  0x73f0bce6, 0x70a7e980, 0x243c6d75, 0xfdb71513, 0xa67d8a08, 0xb7e8f148, 0xf7a644ee, 0x0f1837f2, 0x4b6694e0,
  0xb7bbb3a8,
];

const message = new Uint8Array(64).map((_, i) => i);
const out = new Uint32Array(2);
const as64 = (o: Uint32Array) => (BigInt(o[1]!) << 32n) | BigInt(o[0]!);

describe('SipHash core (lib/siphash.c)', () => {
  it('SipHash-2-4 matches all 64 reference vectors', () => {
    for (let n = 0; n < 64; n++) expect(as64(sipHash(message, n, KEY, 2, 4, out)), `length ${n}`).toBe(SIPHASH_2_4[n]);
  });

  it('SipHash-1-3 truncated to 32 bits matches the kernel hsiphash vectors for 64-bit machines', () => {
    for (let n = 0; n < 64; n++) expect(sipHash(message, n, KEY, 1, 3, out)[0], `length ${n}`).toBe(HSIPHASH_64BIT[n]);
  });

  it('hsiphash32 is hsiphash_1u32: the u32 0x03020100 hashes like the bytes 00 01 02 03 (vector 4)', () => {
    // siphash_kunit.c: chk(hsiphash_1u32(0x03020100U, &test_key_hsiphash), test_vectors_hsiphash[4])
    expect(hsiphash32(0x03020100, KEY)).toBe(HSIPHASH_64BIT[4]);
  });

  it('sipHashKey splits each 64-bit word into low and high halves', () => {
    expect([...sipHashKey(0x0706050403020100n, 0x0f0e0d0c0b0a0908n)]).toEqual([
      0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
    ]);
  });
});

describe('hsiphash32 (the mh pick path) equals the generic core', () => {
  it('for any u32 and key: SipHash-1-3 of the value as 4 little-endian bytes, low 32 bits', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (k0, k1, v) => {
          const key = sipHashKey(k0, k1);
          const bytes = Uint8Array.of(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, v >>> 24);
          expect(hsiphash32(v, key)).toBe(sipHash(bytes, 4, key, 1, 3, out)[0]);
        },
      ),
    );
  });
});
