/**
 * Punycode (RFC 3492): the encoding of a Unicode label as the ASCII "A-label" body that follows `xn--`
 * (RFC 5890 §2.3.2.1). Only the encoder is needed: names are compared in A-label form.
 *
 * @module
 */

// RFC 3492 §5: the parameter values for Punycode.
const BASE = 36;
const T_MIN = 1;
const T_MAX = 26;
const SKEW = 38;
const DAMP = 700;
const INITIAL_BIAS = 72;
const INITIAL_N = 0x80;
/** Larger than any delta a label of legal length can produce; a guard against overflow (RFC 3492 §6.4). */
const MAX_DELTA = 0x7fffffff;

/** RFC 3492 §6.1: the bias adaptation function. */
function adapt(delta: number, numPoints: number, firstTime: boolean): number {
  delta = firstTime ? Math.floor(delta / DAMP) : delta >> 1;
  delta += Math.floor(delta / numPoints);
  let k = 0;
  while (delta > ((BASE - T_MIN) * T_MAX) >> 1) {
    delta = Math.floor(delta / (BASE - T_MIN));
    k += BASE;
  }
  return k + Math.floor(((BASE - T_MIN + 1) * delta) / (delta + SKEW));
}

/** RFC 3492 §5: digit values 0–25 are `a`–`z`, 26–35 are `0`–`9`. */
function digit(d: number): string {
  return String.fromCharCode(d < 26 ? 0x61 + d : 0x30 + d - 26);
}

/**
 * Encodes `label` (a string of Unicode code points) with Punycode, without the `xn--` prefix (RFC 3492
 * §6.3). Basic (ASCII) code points are copied as they are, case included.
 *
 * @example
 * ```ts ignore
 * punycodeEncode("bücher"); // "bcher-kva"
 * ```
 */
export function punycodeEncode(label: string): string {
  const input = Array.from(label, (c) => c.codePointAt(0)!);
  let output = input.filter((c) => c < INITIAL_N).map((c) => String.fromCharCode(c)).join("");
  const basic = output.length;
  let handled = basic;
  if (basic > 0) output += "-";
  let n = INITIAL_N;
  let delta = 0;
  let bias = INITIAL_BIAS;
  while (handled < input.length) {
    // The smallest code point not yet handled.
    const m = Math.min(...input.filter((c) => c >= n));
    delta += (m - n) * (handled + 1);
    if (delta > MAX_DELTA) throw new RangeError("punycode: overflow");
    n = m;
    for (const c of input) {
      if (c < n && ++delta > MAX_DELTA) throw new RangeError("punycode: overflow");
      if (c !== n) continue;
      // Represent delta as a generalized variable-length integer (RFC 3492 §3.3).
      let q = delta;
      for (let k = BASE;; k += BASE) {
        const t = k <= bias ? T_MIN : k >= bias + T_MAX ? T_MAX : k - bias;
        if (q < t) break;
        output += digit(t + ((q - t) % (BASE - t)));
        q = Math.floor((q - t) / (BASE - t));
      }
      output += digit(q);
      bias = adapt(delta, handled + 1, handled === basic);
      delta = 0;
      handled++;
    }
    delta++;
    n++;
  }
  return output;
}
