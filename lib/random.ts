/**
 * The pseudo-random numbers of the ads API and of the event generator: xoshiro128** 1.1 (Blackman
 * and Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), a small generator of 32-bit words with
 * 128 bits of state, well tested (BigCrush, PractRand) and the same in every JavaScript engine.
 *
 * Every (seed, call) pair gets a stream of its own. The first two words of its state are
 * fmix32(seed) and fmix32(call ^ fmix32(seed)), MurmurHash3's finalizer, a bijection on 32 bits: so two
 * different pairs never start from the same state, and the first output (made of the second word)
 * already depends on the seed. As the generator runs through one cycle of all 2^128 - 1 non-zero
 * states, two calls (a few thousand words each) overlap only if they start that close on the cycle:
 * odds of about 2^-116. A generator with 32 bits of state such as mulberry32 has only 2^32 streams:
 * by the birthday bound, two calls out of ~65,000 would repeat each other's ad_ids.
 */

export interface Random {
  /** A uniform 32-bit unsigned word. */
  word(): number;
  /** A uniform float in [0, 1) with all 53 bits of a double's mantissa random. */
  fraction(): number;
  /** A uniform whole number in [0, n). */
  below(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
}

const rotateLeft = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** xoshiro128** from the given state (not all zero), word by word as the reference C code. */
export function xoshiro128StarStar(state: readonly [number, number, number, number]): () => number {
  let [s0, s1, s2, s3] = state.map((word) => word >>> 0) as [number, number, number, number];
  return () => {
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result;
  };
}

/** MurmurHash3's 32-bit finalizer: spreads every input bit over the whole word, and is invertible. */
function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The stream of one call of one seed (both whole numbers from 0 to 2^32 - 1). */
export function randomFor(seed: number, call: number): Random {
  const mixedSeed = fmix32(seed);
  // The constants only make the last two words differ from the first two.
  const word = xoshiro128StarStar([
    mixedSeed,
    fmix32(call ^ mixedSeed),
    fmix32(seed ^ 0x9e3779b9),
    fmix32(call ^ 0x7f4a7c15),
  ]);
  const fraction = (): number => ((word() >>> 5) * 2 ** 26 + (word() >>> 6)) / 2 ** 53;
  return {
    word,
    fraction,
    below: (n) => Math.floor(fraction() * n),
    chance: (p) => fraction() < p,
  };
}

/** A version 4 (random) UUID made of four words of the stream. */
export function uuidV4(random: Random): string {
  const hex = Array.from({ length: 4 }, () => random.word().toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20)}`;
}
