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
// write straight into the caller's memory, digits eight at a time.
#include "BatCatSIMD.h"
#include "PowersOfTen.h"
#include <string.h>

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
    // eight of `middle` and the eight of `low`, as digit values. Every spelling below is stores of these
    // words (a load of bytes just stored in pieces would wait for them), and the zeros after the last
    // significant digit count how many there are.
    int length = digitCount(significand);
    int leading = exponent + length - 1; // the exponent of the first digit
    uint8_t top;
    uint64_t middle, low;
    firstDigitFirst(significand, length, &top, &middle, &low);
    int count = 17 - (low != 0 ? __builtin_clzll(low) : 64 + (middle != 0 ? __builtin_clzll(middle) : 64)) / 8;
    low += asciiZeros;
    middle += asciiZeros;
    // Swift's spelling: exponential above 2^53 and below 10^-4, "0.00123", "123.45", or "12300.0".
    if (leading < -4 || biased > 1076 || (biased == 1076 && fraction != 0)) {
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
        return (int)(at - text) + 2;
    }
    if (leading < 0) {
        memcpy(at, "0.000000", 8);
        uint8_t *digits = at + 1 - leading;
        digits[0] = top;
        memcpy(digits + 1, &middle, 8);
        memcpy(digits + 9, &low, 8);
        return (int)(digits - text) + count;
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
        return (int)(at - text) + count + 1;
    }
    // An integer: its digits, the zeros after them, then ".0".
    at[0] = top;
    memcpy(at + 1, &middle, 8);
    memcpy(at + 9, &low, 8);
    at[leading + 1] = '.';
    at[leading + 2] = '0';
    return (int)(at - text) + leading + 3;
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
