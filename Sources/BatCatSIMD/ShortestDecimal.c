// Doubles and integers as decimal text: the cells of every CSV BatCat writes.
//
// A double is written in its shortest round-trip form, the same text as Swift's `description`: the fewest
// significant digits that read back to the same value, the closest of them to the exact value (an exact tie
// goes to the even digit), spelled the way Swift spells them. The digits come from the Schubfach method: the
// value's rounding interval is scaled by a power of ten so that its integer part has 16 or 17 digits, using
// 128-bit upper approximations of the powers (PowersOfTen.h, made by make-powers-of-ten.py) and round-to-odd
// products, and either the one multiple of ten in the interval or the closest integer is taken.
//
// Hand-written in C: Swift reaches its standard library's conversion only through a text stream, and that
// path with its appends and the integers' formatting took a fifth of `batcat score`'s time (measured); these
// write straight into the caller's memory, digits eight at a time. Where the processor has AVX-512, a run of
// doubles goes eight values at a time through the same steps in vector lanes (`batcat_format_doubles`), at
// less than half the time a value; every value it spells is the one-at-a-time function's, byte for byte.
#include "BatCatSIMD.h"
#include "PowersOfTen.h"
#include <string.h>

// Digits are built as the bytes of 64-bit words in reading order, and products taken in 128 bits.
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || !defined(__SIZEOF_INT128__)
#error "ShortestDecimal.c needs a little-endian 64-bit target with 128-bit integers"
#endif

/// The decimal digits of `value` (below 10^8), eight of them with leading zeros, as the bytes 0 to 9 of a
/// 64-bit word in reading order on a little-endian machine: the halves, then their halves, then single
/// digits, each split in every lane at once with a multiply and a shift in place of a division.
static inline uint64_t eightDigits(uint32_t value) {
    uint64_t fours = (uint64_t)(value / 10000) | ((uint64_t)(value % 10000) << 32);
    uint64_t hundreds = ((fours * 10486) >> 20) & 0x0000007F0000007Full;
    uint64_t twos = hundreds | ((fours - hundreds * 100) << 16);
    uint64_t tens = ((twos * 103) >> 10) & 0x000F000F000F000Full;
    return tens | ((twos - tens * 10) << 8);
}

static const uint64_t asciiZeros = 0x3030303030303030ull;

static const uint64_t powersOfTenUpTo19[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
    10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull,
    1000000000000000ull, 10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull,
};

/// How many decimal digits `value` has (one for zero): floor(log10) from its bit length, less one when below
/// that power of ten.
static inline int digitCount(uint64_t value) {
    int bits = 64 - __builtin_clzll(value | 1);
    int guess = (bits * 1233) >> 12;
    return guess + ((value | 1) >= powersOfTenUpTo19[guess]);
}

/// The `length` digits of `value` (below 10^17) made seventeen, the first one first and zeros after the
/// last: the first as ASCII in `top`, the next eight and the last eight as digit values in `middle` and `low`.
static inline void firstDigitFirst(uint64_t value, int length, uint8_t *top, uint64_t *middle, uint64_t *low) {
    uint64_t aligned = value * powersOfTenUpTo19[17 - length];
    uint64_t high = aligned / 100000000;
    *low = eightDigits((uint32_t)(aligned - high * 100000000));
    *top = (uint8_t)('0' + high / 100000000);
    *middle = eightDigits((uint32_t)(high % 100000000));
}

/// (g × cp) / 2^128 for the 128-bit g at `g`, rounded to odd: its integer part, with the lowest bit set
/// when the fraction is not zero (the lowest 64 bits of g[1] × cp, far below the fraction's precision,
/// are left out).
static inline uint64_t roundToOdd(const uint64_t *g, uint64_t cp) {
    __uint128_t low = (__uint128_t)g[1] * cp;
    __uint128_t product = (__uint128_t)g[0] * cp + (uint64_t)(low >> 64);
    return (uint64_t)(product >> 64) | ((uint64_t)product > 1);
}

/// The shortest, closest decimal significand of c × 2^q (c with its hidden bit: 2^52 <= c < 2^53), with its
/// exponent in `*exponent`. `irregular` says c is 2^52 with a smaller exponent below it, so the gap below is
/// half the gap above.
static inline uint64_t shortestDecimal(uint64_t c, int q, int irregular, int *exponent) {
    // An integer below 2^53 is its own shortest form: its neighbours are at most 1 away.
    if (q < 0 && q > -53) {
        uint64_t integer = c >> -q;
        if (integer << -q == c) {
            *exponent = 0;
            return integer;
        }
    }
    // The interval of values that read back as this one, four times over: from cbl to cbr around cb.
    uint64_t cb = c << 2;
    uint64_t cbr = cb + 2;
    uint64_t cbl;
    int k;
    if (!irregular) {
        cbl = cb - 2;
        k = (int)(((int64_t)q * 661971961083ll) >> 41); // floor(log10(2^q))
    } else {
        cbl = cb - 1;
        k = (int)(((int64_t)q * 661971961083ll - 274743187321ll) >> 41); // floor(log10(3/4 × 2^q))
    }
    const uint64_t *g = batcatPowersOfTen[-k + 292];
    int h = q + (int)(((int64_t)(-k) * 913124641741ll) >> 38) + 1; // q + floor(log2(10^-k)) + 1, 1 to 4
    uint64_t vb = roundToOdd(g, cb << h);
    uint64_t vbl = roundToOdd(g, cbl << h);
    uint64_t vbr = roundToOdd(g, cbr << h);
    // An even significand's interval holds its ends (reading rounds ties to even), an odd one's does not.
    uint64_t out = c & 1;
    *exponent = k;
    uint64_t s = vb >> 2;
    // One digit fewer: the one multiple of ten in the interval, if there is one.
    if (s >= 100) {
        uint64_t down = s / 10 * 10;
        uint64_t up = down + 10;
        int downIn = vbl + out <= down << 2;
        int upIn = (up << 2) + out <= vbr;
        if (downIn != upIn) return downIn ? down : up;
    }
    uint64_t t = s + 1;
    int sIn = vbl + out <= s << 2;
    int tIn = (t << 2) + out <= vbr;
    if (sIn != tIn) return sIn ? s : t;
    // Both: the closer, and the even one on a tie.
    int64_t difference = (int64_t)(vb - ((s + t) << 1));
    return difference < 0 || (difference == 0 && (s & 1) == 0) ? s : t;
}

/// Spells a double at `at` (its sign, if any, written before `at` already) from its seventeen digits made
/// first-digit-first (`top` in ASCII, `middle` and `low` as digit values; see `firstDigitFirst`), how many of
/// them are significant, the exponent of the first, and whether Swift writes it in exponential form; returns
/// the end of the text.
static inline uint8_t *spell(uint8_t *at, uint8_t top, uint64_t middle, uint64_t low, int leading, int exponential) {
    int count = 17 - (low != 0 ? __builtin_clzll(low) : 64 + (middle != 0 ? __builtin_clzll(middle) : 64)) / 8;
    low += asciiZeros;
    middle += asciiZeros;
    if (exponential) {
        at[0] = top;
        if (count > 1) {
            at[1] = '.';
            memcpy(at + 2, &middle, 8);
            memcpy(at + 10, &low, 8);
            at += count + 1;
        } else {
            at += 1;
        }
        *at++ = 'e';
        *at++ = leading < 0 ? '-' : '+';
        unsigned magnitude = (unsigned)(leading < 0 ? -leading : leading);
        if (magnitude >= 100) {
            *at++ = (uint8_t)('0' + magnitude / 100);
            magnitude %= 100;
        }
        at[0] = (uint8_t)('0' + magnitude / 10);
        at[1] = (uint8_t)('0' + magnitude % 10);
        return at + 2;
    }
    if (leading < 0) {
        memcpy(at, "0.000000", 8);
        uint8_t *digits = at + 1 - leading;
        digits[0] = top;
        memcpy(digits + 1, &middle, 8);
        memcpy(digits + 9, &low, 8);
        return digits + count;
    }
    if (leading + 1 < count) {
        // The point goes after digit `leading`: the sixteen after the top one are one 128-bit word, whose
        // bytes from the point on move up one place; the last digit, pushed out, is stored on its own.
        __uint128_t rest = (__uint128_t)middle | ((__uint128_t)low << 64);
        unsigned shift = 8 * (unsigned)leading;
        __uint128_t kept = rest & ((((__uint128_t)1) << shift) - 1);
        __uint128_t moved = ((rest >> shift) << 8) << shift;
        rest = kept | ((__uint128_t)'.' << shift) | moved;
        at[0] = top;
        memcpy(at + 1, &rest, 16);
        at[17] = (uint8_t)(low >> 56);
        return at + count + 1;
    }
    // An integer: its digits, the zeros after them, then ".0".
    at[0] = top;
    memcpy(at + 1, &middle, 8);
    memcpy(at + 9, &low, 8);
    at[leading + 1] = '.';
    at[leading + 2] = '0';
    return at + leading + 3;
}

/// Whether Swift spells a double of this biased exponent and fraction, whose first digit has exponent
/// `leading`, in exponential form: above 2^53, and below 10^-4.
static inline int exponentialForm(int biased, uint64_t fraction, int leading) {
    return leading < -4 || biased > 1076 || (biased == 1076 && fraction != 0);
}

int batcat_format_double(double value, uint8_t *text) {
    uint64_t bits;
    memcpy(&bits, &value, 8);
    int biased = (int)((bits >> 52) & 0x7FF);
    uint64_t fraction = bits & ((1ull << 52) - 1);
    // The sign is written always and kept when negative: half of a column's values may be, at random.
    text[0] = '-';
    uint8_t *at = text + (bits >> 63);
    if (biased == 0) {
        if (fraction != 0) return 0; // subnormal: left to the caller
        memcpy(at, "0.0", 3);
        return (int)(at - text) + 3;
    }
    if (biased == 0x7FF) return 0; // infinite or NaN: left to the caller
    int exponent;
    uint64_t significand = shortestDecimal(fraction | (1ull << 52), biased - 1075, fraction == 0 && biased > 1, &exponent);
    // The digits are made seventeen, the first one first and zeros after the last: the top digit, then the
    // eight of `middle` and the eight of `low`, as digit values. Every spelling is stores of these words (a
    // load of bytes just stored in pieces would wait for them), and the zeros after the last significant
    // digit count how many there are.
    int length = digitCount(significand);
    int leading = exponent + length - 1; // the exponent of the first digit
    uint8_t top;
    uint64_t middle, low;
    firstDigitFirst(significand, length, &top, &middle, &low);
    return (int)(spell(at, top, middle, low, leading, exponentialForm(biased, fraction, leading)) - text);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define BATCAT_AVX512_FORMAT __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512cd")))

/// Whether this processor has the AVX-512 parts the eight-at-a-time path below takes.
static int eightAtATime(void) {
    // Threads may ask at once; each finds the same answer.
    static int known = -1;
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512cd");
        __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    }
    return answer;
}

/// The high 64 bits of the 128-bit products of the lanes of `a` and `b`, their low 64 bits in `*low`: four
/// 32-bit products a lane (AVX-512 multiplies 64-bit lanes only to 64 bits).
BATCAT_AVX512_FORMAT static inline __m512i multiplyWide(__m512i a, __m512i b, __m512i *low) {
    const __m512i low32 = _mm512_set1_epi64(0xFFFFFFFF);
    __m512i aHigh = _mm512_srli_epi64(a, 32), bHigh = _mm512_srli_epi64(b, 32);
    __m512i p00 = _mm512_mul_epu32(a, b), p01 = _mm512_mul_epu32(a, bHigh);
    __m512i p10 = _mm512_mul_epu32(aHigh, b), p11 = _mm512_mul_epu32(aHigh, bHigh);
    __m512i middle = _mm512_add_epi64(
        _mm512_srli_epi64(p00, 32), _mm512_add_epi64(_mm512_and_si512(p01, low32), _mm512_and_si512(p10, low32)));
    *low = _mm512_or_si512(_mm512_slli_epi64(middle, 32), _mm512_and_si512(p00, low32));
    return _mm512_add_epi64(
        _mm512_add_epi64(p11, _mm512_srli_epi64(middle, 32)), _mm512_add_epi64(_mm512_srli_epi64(p01, 32), _mm512_srli_epi64(p10, 32)));
}

/// g × cp in every lane, all 192 bits: limbs from the top in `top`, `middle` and `bottom`.
BATCAT_AVX512_FORMAT static inline void productLanes(
    __m512i gHigh, __m512i gLow, __m512i cp, __m512i *top, __m512i *middle, __m512i *bottom) {
    __m512i lowHigh;
    __m512i highHigh = multiplyWide(gHigh, cp, &lowHigh);
    __m512i lowLow;
    __m512i carried = multiplyWide(gLow, cp, &lowLow);
    *bottom = lowLow;
    *middle = _mm512_add_epi64(lowHigh, carried);
    *top = _mm512_mask_add_epi64(highHigh, _mm512_cmplt_epu64_mask(*middle, carried), highHigh, _mm512_set1_epi64(1));
}

/// `roundToOdd` in every lane, from the product's top two limbs.
BATCAT_AVX512_FORMAT static inline __m512i roundToOddLanes(__m512i top, __m512i middle) {
    const __m512i one = _mm512_set1_epi64(1);
    return _mm512_mask_or_epi64(top, _mm512_cmpgt_epu64_mask(middle, one), top, one);
}

/// The 192-bit lanes (top, middle, bottom) plus or minus (g << shift), shift from 1 to 6.
BATCAT_AVX512_FORMAT static inline void addShiftedLanes(
    __m512i *top, __m512i *middle, __m512i bottom, __m512i gHigh, __m512i gLow, __m512i shift, int subtract) {
    __m512i back = _mm512_sub_epi64(_mm512_set1_epi64(64), shift);
    __m512i addTop = _mm512_srlv_epi64(gHigh, back);
    __m512i addMiddle = _mm512_or_si512(_mm512_sllv_epi64(gHigh, shift), _mm512_srlv_epi64(gLow, back));
    __m512i addBottom = _mm512_sllv_epi64(gLow, shift);
    const __m512i one = _mm512_set1_epi64(1);
    if (subtract) {
        __mmask8 borrow = _mm512_cmplt_epu64_mask(bottom, addBottom);
        __m512i middleOut = _mm512_sub_epi64(*middle, addMiddle);
        __mmask8 borrowTop = _mm512_cmplt_epu64_mask(*middle, addMiddle);
        borrowTop |= _mm512_testn_epi64_mask(middleOut, middleOut) & borrow;
        middleOut = _mm512_mask_sub_epi64(middleOut, borrow, middleOut, one);
        *top = _mm512_mask_sub_epi64(_mm512_sub_epi64(*top, addTop), borrowTop, _mm512_sub_epi64(*top, addTop), one);
        *middle = middleOut;
    } else {
        __m512i bottomOut = _mm512_add_epi64(bottom, addBottom);
        __mmask8 carry = _mm512_cmplt_epu64_mask(bottomOut, addBottom);
        __m512i middleOut = _mm512_add_epi64(*middle, addMiddle);
        __mmask8 carryTop = _mm512_cmplt_epu64_mask(middleOut, addMiddle);
        middleOut = _mm512_mask_add_epi64(middleOut, carry, middleOut, one);
        carryTop |= _mm512_testn_epi64_mask(middleOut, middleOut) & carry;
        *top = _mm512_mask_add_epi64(_mm512_add_epi64(*top, addTop), carryTop, _mm512_add_epi64(*top, addTop), one);
        *middle = middleOut;
    }
}

/// floor(value / 10) in every lane, for values below 2^57, exactly: with value = a·2^32 + b,
/// value / 10 = a·429496729 + (6a + b) / 10, and (6a + b) / 10 below 2^33 truncates right from doubles
/// (0.1 as a double is a little above it, never enough to reach the next integer).
BATCAT_AVX512_FORMAT static inline __m512i tenthLanes(__m512i value) {
    __m512i a = _mm512_srli_epi64(value, 32);
    __m512i b = _mm512_and_si512(value, _mm512_set1_epi64(0xFFFFFFFF));
    __m512i rest = _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(a, 2), _mm512_slli_epi64(a, 1)), b);
    __m512i restTenth = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_cvtepu64_pd(rest), _mm512_set1_pd(0.1)));
    return _mm512_add_epi64(_mm512_mul_epu32(a, _mm512_set1_epi64(429496729)), restTenth);
}

/// floor(value / divisor) in every lane, for quotients below 2^32 whose estimate from doubles is at most one
/// off (so for values below 10^17 and a divisor of 10^8): the remainder, below zero or at the divisor or more,
/// puts it right.
BATCAT_AVX512_FORMAT static inline __m512i divideLanes(__m512i value, uint32_t divisor, double reciprocal) {
    __m512i estimate = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_cvtepu64_pd(value), _mm512_set1_pd(reciprocal)));
    __m512i remainder = _mm512_sub_epi64(value, _mm512_mul_epu32(estimate, _mm512_set1_epi64(divisor)));
    const __m512i one = _mm512_set1_epi64(1);
    __m512i quotient = _mm512_mask_sub_epi64(estimate, _mm512_cmplt_epi64_mask(remainder, _mm512_setzero_si512()), estimate, one);
    return _mm512_mask_add_epi64(quotient, _mm512_cmpge_epi64_mask(remainder, _mm512_set1_epi64(divisor)), quotient, one);
}

/// `eightDigits` in every lane (values below 10^8): the same steps, each multiply in lanes as narrow as the
/// numbers it splits (32 bits, then 16), which is where they stay apart.
BATCAT_AVX512_FORMAT static inline __m512i eightDigitsLanes(__m512i value) {
    // value / 10000 as value × ceil(2^40 / 10000) / 2^40: exact below 10^8.
    __m512i high = _mm512_srli_epi64(_mm512_mul_epu32(value, _mm512_set1_epi64(109951163)), 40);
    __m512i fours = _mm512_or_si512(high, _mm512_slli_epi64(_mm512_sub_epi64(value, _mm512_mul_epu32(high, _mm512_set1_epi64(10000))), 32));
    __m512i hundreds = _mm512_and_si512(_mm512_srli_epi32(_mm512_mullo_epi32(fours, _mm512_set1_epi32(10486)), 20), _mm512_set1_epi32(0x7F));
    __m512i twos = _mm512_or_si512(hundreds, _mm512_slli_epi32(_mm512_sub_epi32(fours, _mm512_mullo_epi32(hundreds, _mm512_set1_epi32(100))), 16));
    __m512i tens = _mm512_and_si512(_mm512_srli_epi16(_mm512_mullo_epi16(twos, _mm512_set1_epi16(103)), 10), _mm512_set1_epi16(0xF));
    return _mm512_or_si512(tens, _mm512_slli_epi16(_mm512_sub_epi16(twos, _mm512_mullo_epi16(tens, _mm512_set1_epi16(10))), 8));
}

/// Eight normal doubles' digits, as `batcat_format_double` finds them one at a time: the same steps in every
/// lane (Schubfach's choice made with masks), stored to the arrays for the spelling.
BATCAT_AVX512_FORMAT static void eightDecimals(
    __m512i bits, uint8_t *tops, uint64_t *middles, uint64_t *lows, int64_t *leadings, __mmask8 *exponential) {
    const __m512i one = _mm512_set1_epi64(1);
    __m512i biased = _mm512_and_si512(_mm512_srli_epi64(bits, 52), _mm512_set1_epi64(0x7FF));
    __m512i fraction = _mm512_and_si512(bits, _mm512_set1_epi64((1ll << 52) - 1));
    __m512i c = _mm512_or_si512(fraction, _mm512_set1_epi64(1ll << 52));
    __m512i q = _mm512_sub_epi64(biased, _mm512_set1_epi64(1075));
    __mmask8 irregular = _mm512_testn_epi64_mask(fraction, fraction) & _mm512_cmpgt_epi64_mask(biased, one);
    __m512i scaled = _mm512_mullo_epi64(q, _mm512_set1_epi64(661971961083ll));
    scaled = _mm512_mask_sub_epi64(scaled, irregular, scaled, _mm512_set1_epi64(274743187321ll));
    __m512i k = _mm512_srai_epi64(scaled, 41);
    __m512i index = _mm512_sub_epi64(_mm512_set1_epi64(292), k);
    __m512i gHigh = _mm512_i64gather_epi64(_mm512_slli_epi64(index, 1), (const long long *)batcatPowersOfTen, 8);
    __m512i gLow = _mm512_i64gather_epi64(_mm512_add_epi64(_mm512_slli_epi64(index, 1), one), (const long long *)batcatPowersOfTen, 8);
    __m512i h = _mm512_add_epi64(
        _mm512_add_epi64(q, _mm512_srai_epi64(_mm512_mullo_epi64(_mm512_sub_epi64(_mm512_setzero_si512(), k), _mm512_set1_epi64(913124641741ll)), 38)),
        one);
    __m512i cb = _mm512_slli_epi64(c, 2);
    // g × (cb << h) in full; the interval's ends differ from it by g × (2 << h), or g × (1 << h) below an
    // irregular one: shifts of g, added or taken away, in place of two more products.
    __m512i top, middle, bottom;
    productLanes(gHigh, gLow, _mm512_sllv_epi64(cb, h), &top, &middle, &bottom);
    __m512i vb = roundToOddLanes(top, middle);
    __m512i lowTop = top, lowMiddle = middle, highTop = top, highMiddle = middle;
    __m512i below = _mm512_mask_sub_epi64(_mm512_add_epi64(h, one), irregular, _mm512_add_epi64(h, one), one);
    addShiftedLanes(&lowTop, &lowMiddle, bottom, gHigh, gLow, below, 1);
    addShiftedLanes(&highTop, &highMiddle, bottom, gHigh, gLow, _mm512_add_epi64(h, one), 0);
    __m512i vbl = roundToOddLanes(lowTop, lowMiddle);
    __m512i vbr = roundToOddLanes(highTop, highMiddle);
    __m512i out = _mm512_and_si512(c, one);
    __m512i lowEnd = _mm512_add_epi64(vbl, out);
    __m512i s = _mm512_srli_epi64(vb, 2);
    // s is at least 2^50 here, so one digit fewer is always tried.
    __m512i tenth = tenthLanes(s);
    __m512i down = _mm512_add_epi64(_mm512_slli_epi64(tenth, 3), _mm512_slli_epi64(tenth, 1));
    __m512i up = _mm512_add_epi64(down, _mm512_set1_epi64(10));
    __mmask8 downIn = _mm512_cmple_epu64_mask(lowEnd, _mm512_slli_epi64(down, 2));
    __mmask8 upIn = _mm512_cmple_epu64_mask(_mm512_add_epi64(_mm512_slli_epi64(up, 2), out), vbr);
    __m512i t = _mm512_add_epi64(s, one);
    __mmask8 sIn = _mm512_cmple_epu64_mask(lowEnd, _mm512_slli_epi64(s, 2));
    __mmask8 tIn = _mm512_cmple_epu64_mask(_mm512_add_epi64(_mm512_slli_epi64(t, 2), out), vbr);
    __m512i difference = _mm512_sub_epi64(vb, _mm512_slli_epi64(_mm512_add_epi64(s, t), 1));
    __mmask8 closerS = _mm512_cmplt_epi64_mask(difference, _mm512_setzero_si512())
        | (_mm512_cmpeq_epi64_mask(difference, _mm512_setzero_si512()) & _mm512_testn_epi64_mask(s, one));
    __mmask8 takeS = (__mmask8)((sIn & ~tIn) | (~(sIn ^ tIn) & closerS));
    __m512i significand = _mm512_mask_blend_epi64(takeS, t, s);
    __mmask8 shorter = downIn ^ upIn;
    significand = _mm512_mask_blend_epi64(shorter, significand, _mm512_mask_blend_epi64(downIn, up, down));
    // Digits, first one first, as in firstDigitFirst.
    __m512i bitLength = _mm512_sub_epi64(_mm512_set1_epi64(64), _mm512_lzcnt_epi64(significand));
    __m512i guess = _mm512_srli_epi64(_mm512_mul_epu32(bitLength, _mm512_set1_epi64(1233)), 12);
    __m512i power = _mm512_i64gather_epi64(guess, (const long long *)powersOfTenUpTo19, 8);
    __m512i length = _mm512_mask_add_epi64(guess, _mm512_cmpge_epu64_mask(significand, power), guess, one);
    __m512i aligned = _mm512_mullo_epi64(
        significand, _mm512_i64gather_epi64(_mm512_sub_epi64(_mm512_set1_epi64(17), length), (const long long *)powersOfTenUpTo19, 8));
    __m512i high = divideLanes(aligned, 100000000, 1e-8);
    __m512i low = eightDigitsLanes(_mm512_sub_epi64(aligned, _mm512_mul_epu32(high, _mm512_set1_epi64(100000000))));
    __m512i topDigit = divideLanes(high, 100000000, 1e-8);
    __m512i middleDigits = eightDigitsLanes(_mm512_sub_epi64(high, _mm512_mul_epu32(topDigit, _mm512_set1_epi64(100000000))));
    __m512i leading = _mm512_sub_epi64(_mm512_add_epi64(k, length), one);
    _mm_storel_epi64((__m128i *)tops, _mm512_cvtepi64_epi8(_mm512_add_epi64(topDigit, _mm512_set1_epi64('0'))));
    _mm512_storeu_si512((void *)middles, middleDigits);
    _mm512_storeu_si512((void *)lows, low);
    _mm512_storeu_si512((void *)leadings, leading);
    *exponential = _mm512_cmplt_epi64_mask(leading, _mm512_set1_epi64(-4)) | _mm512_cmpgt_epi64_mask(biased, _mm512_set1_epi64(1076))
        | (_mm512_cmpeq_epi64_mask(biased, _mm512_set1_epi64(1076)) & _mm512_test_epi64_mask(fraction, fraction));
}

/// Spells eight values at once when all eight are normal doubles, at `at`, with where each ends (from `text`,
/// plus `offset`) in `ends`; returns the end of their text, or null, having written nothing that counts, when
/// one of them is not normal.
BATCAT_AVX512_FORMAT static uint8_t *eightValues(
    const double *values, const uint8_t *missing, uint8_t *text, uint8_t *at, int64_t offset, int64_t *ends) {
    __m512i bits = _mm512_loadu_si512((const void *)values);
    __m512i biased = _mm512_and_si512(_mm512_srli_epi64(bits, 52), _mm512_set1_epi64(0x7FF));
    __mmask8 normal = _mm512_cmpgt_epi64_mask(biased, _mm512_setzero_si512()) & _mm512_cmplt_epi64_mask(biased, _mm512_set1_epi64(0x7FF));
    if (normal != 0xFF) return 0;
    uint8_t tops[8];
    uint64_t middles[8], lows[8];
    int64_t leadings[8];
    __mmask8 exponential;
    eightDecimals(bits, tops, middles, lows, leadings, &exponential);
    for (int lane = 0; lane < 8; lane++) {
        if (missing == 0 || missing[lane] == 0) {
            uint64_t laneBits;
            memcpy(&laneBits, values + lane, 8);
            at[0] = '-';
            at += laneBits >> 63;
            at = spell(at, tops[lane], middles[lane], lows[lane], (int)leadings[lane], (exponential >> lane) & 1);
        }
        ends[lane] = offset + (at - text);
    }
    return at;
}
#endif

long batcat_format_doubles(
    const double *values, const uint8_t *missing, long count, uint8_t *text, int64_t offset, int64_t *ends, long *formatted) {
    uint8_t *at = text;
    long index = 0;
#if defined(__x86_64__)
    int wide = eightAtATime();
#else
    int wide = 0;
#endif
    while (index < count) {
#if defined(__x86_64__)
        if (wide && index + 8 <= count) {
            uint8_t *end = eightValues(values + index, missing ? missing + index : 0, text, at, offset, ends + index);
            if (end != 0) {
                at = end;
                index += 8;
                continue;
            }
        }
#endif
        // One at a time: the last few, and a group of eight holding a zero, a missing or another value the
        // vector path leaves (the next group is tried whole again).
        long stop = index + 8 < count ? index + 8 : count;
        for (; index < stop; index++) {
            if (missing == 0 || missing[index] == 0) {
                int length = batcat_format_double(values[index], at);
                if (length == 0) {
                    *formatted = index;
                    return at - text;
                }
                at += length;
            }
            ends[index] = offset + (at - text);
        }
    }
    *formatted = index;
    return at - text;
}

int batcat_format_int(int64_t value, uint8_t *text) {
    uint8_t *at = text;
    uint64_t magnitude = (uint64_t)value;
    if (value < 0) {
        *at++ = '-';
        magnitude = 0 - magnitude;
    }
    int count = digitCount(magnitude);
    if (count <= 8) {
        // One word of digits, the first one first.
        uint64_t digits = eightDigits((uint32_t)(magnitude * powersOfTenUpTo19[8 - count])) + asciiZeros;
        memcpy(at, &digits, 8);
        return (int)(at - text) + count;
    }
    // The last seventeen digits (or all, when fewer) go at `digits`; 18 to 20 digits' first ones before them.
    uint8_t *digits = at;
    uint8_t top;
    uint64_t middle, low;
    if (count <= 17) {
        firstDigitFirst(magnitude, count, &top, &middle, &low);
    } else {
        uint64_t head = magnitude / 100000000000000000ull;
        firstDigitFirst(magnitude - head * 100000000000000000ull, 17, &top, &middle, &low);
        digits = at + count - 17;
        for (uint8_t *place = digits - 1; place >= at; place--) {
            *place = (uint8_t)('0' + head % 10);
            head /= 10;
        }
    }
    digits[0] = top;
    middle += asciiZeros;
    low += asciiZeros;
    memcpy(digits + 1, &middle, 8);
    memcpy(digits + 9, &low, 8);
    return (int)(at - text) + count;
}
