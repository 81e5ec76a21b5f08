// Plain decimal records with AVX-512: the field loop of BatCatData's two-pass CSV reader, eight records and
// so eight values of a column at a time, four fields to a 512-bit register; and its first pass, finding the
// separators 64 bytes at a time.
//
// Hand-written in C because Swift cannot compile one function for instructions beyond the baseline x86-64
// set (SSE2) and choose it at run time, and no library in reach parses numbers from raw bytes. The Swift
// loop it replaces spends about 75 instructions a field; here the digits of four fields are combined by the
// same multiply-adds in one register, and the checks of a field are bit operations on 64-bit masks.
#include "BatCatSIMD.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define BATCAT_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,bmi,bmi2,popcnt")))

int batcat_plain_records_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl");
}

static const double powersOfTen[16] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

/// A bit at the start of each 16-bit lane of `mask` that has any bit set.
BATCAT_AVX512 __attribute__((always_inline)) static inline uint64_t lanes(uint64_t mask) {
    __m512i bytes = _mm512_movm_epi8(mask);
    unsigned quads = _mm512_test_epi64_mask(bytes, bytes);
    return _pdep_u64(_pext_u32(quads | (quads >> 1), 0x55), 0x0001000100010001ull);
}

/// The digits of four fields, each ending at `ends[i]` and `lengths[i]` (1 to 16) bytes long, as integers in
/// the even 64-bit lanes of `significands`, with how many of them follow the point in the same lanes of
/// `fractions` and a bit 2i in `negative` for each field that starts with '-'; 0 when one of them is not a
/// plain decimal.
BATCAT_AVX512 __attribute__((always_inline)) static inline int four(
    const uint8_t *const *ends, const long *lengths, __m512i *significands, __m512i *fractions, __mmask8 *negative) {
    // Lane i holds the 16 bytes that end where field i ends.
    __m512i bytes = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(ends[0] - 16)));
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[1] - 16)), 1);
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[2] - 16)), 2);
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[3] - 16)), 3);
    // One bit a byte: the field's bytes are the last `length` of each 16.
    uint64_t inField = 0;
    for (int lane = 0; lane < 4; lane++) inField |= (uint64_t)((0xFFFF0000u >> lengths[lane]) & 0xFFFF) << (16 * lane);
    const uint64_t laneStarts = 0x0001000100010001ull;
    __m512i values = _mm512_sub_epi8(bytes, _mm512_set1_epi8('0'));
    uint64_t digits = _mm512_cmplt_epu8_mask(values, _mm512_set1_epi8(10)) & inField;
    uint64_t points = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('.')) & inField;
    uint64_t minus = _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('-'));
    uint64_t signs = (minus | _mm512_cmpeq_epi8_mask(bytes, _mm512_set1_epi8('+'))) & inField & ~((inField << 1) & ~laneStarts);
    if ((inField & ~(digits | points | signs)) != 0) return 0;
    // Which lanes hold a digit, and which a point (a bit at each lane's start), from 64-bit lane tests.
    if (lanes(digits) != laneStarts) return 0;
    uint64_t pointStarts = lanes(points);
    // A lane's point less one is borrow-free (the lane holds it); and-ed with the point, it is zero unless
    // the lane holds a second one.
    if ((points & (points - pointStarts)) != 0) return 0;
    // Digits after the point stay where they are; those before it are taken from the bytes one place later,
    // so the point drops out. Without a point, every digit stays. Per lane, the bits above the point are
    // 2^16 - 2^(point + 1), and a lane without one takes 2^16 - 1: the lanes' terms do not overlap, so one
    // sum (modulo 2^64, where lane 3's 2^64 vanishes) makes them all.
    uint64_t fraction = 0x0001000100010000ull - (points << 1) - (laneStarts & ~pointStarts);
    uint64_t pointed = pointStarts * 0xFFFF;
    uint64_t integer = ((digits << 1) & ~laneStarts) & ~fraction & pointed;
    __m512i number = _mm512_or_si512(
        _mm512_maskz_mov_epi8(fraction & digits, values), _mm512_maskz_mov_epi8(integer, _mm512_bslli_epi128(values, 1)));
    // Pairs, fours and eights of digits, as the Swift loop combines them: a pair a + 256b times 2561 is
    // 256(10a + b) + a in 16 bits; then 100ab + cd, then 10000abcd + efgh; then the two eights.
    __m512i pairs = _mm512_srli_epi16(_mm512_mullo_epi16(number, _mm512_set1_epi16(2561)), 8);
    __m512i fours = _mm512_madd_epi16(pairs, _mm512_set1_epi32(0x00010064));
    __m512i eights = _mm512_madd_epi16(_mm512_packs_epi32(fours, fours), _mm512_set1_epi32(0x00012710));
    *significands = _mm512_add_epi64(_mm512_mul_epu32(eights, _mm512_set1_epi64(100000000)), _mm512_srli_epi64(eights, 32));
    // Digits after the point, counted in each lane's first 64 bits.
    __m512i counts = _mm512_sad_epu8(_mm512_maskz_set1_epi8(fraction & digits & pointed, 1), _mm512_setzero_si512());
    *fractions = _mm512_add_epi64(counts, _mm512_bsrli_epi128(counts, 8));
    __mmask8 negatives = _mm512_test_epi64_mask(_mm512_movm_epi8(minus & signs), _mm512_movm_epi8(minus & signs));
    *negative = (negatives | (negatives >> 1)) & 0x55;
    return 1;
}

/// The eight values of fields ending at `ends` and `lengths` long, stored at `out`; 0 when one of them is not a
/// plain decimal. One division by exact powers of ten rounds each correctly (Clinger's fast path), as in the
/// Swift loop, with the sign bit set for those starting with '-' (so "-0.0" is negative zero there too).
BATCAT_AVX512 __attribute__((always_inline)) static inline int eight(
    const uint8_t *const *ends, const long *lengths, double *out, __mmask8 stored) {
    __m512i lowDigits, highDigits, lowFractions, highFractions;
    __mmask8 lowNegative, highNegative;
    if (!four(ends, lengths, &lowDigits, &lowFractions, &lowNegative)
        || !four(ends + 4, lengths + 4, &highDigits, &highFractions, &highNegative)) {
        return 0;
    }
    const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    __m512i significands = _mm512_permutex2var_epi64(lowDigits, even, highDigits);
    if (_mm512_cmpgt_epu64_mask(significands, _mm512_set1_epi64(1ll << 53)) != 0) return 0;
    __m512i fractions = _mm512_permutex2var_epi64(lowFractions, even, highFractions);
    __m512d powers = _mm512_permutex2var_pd(_mm512_loadu_pd(powersOfTen), fractions, _mm512_loadu_pd(powersOfTen + 8));
    __m512d value = _mm512_div_pd(_mm512_cvtepu64_pd(significands), powers);
    __mmask8 negative = (__mmask8)(_pext_u32(lowNegative, 0x55) | (_pext_u32(highNegative, 0x55) << 4));
    value = _mm512_castsi512_pd(
        _mm512_mask_or_epi64(_mm512_castpd_si512(value), negative, _mm512_castpd_si512(value), _mm512_set1_epi64((long long)(1ull << 63))));
    _mm512_mask_storeu_pd(out, stored, value);
    return 1;
}

/// Whether the `length` bytes at `field` are one of the markers (see `batcat_plain_records`).
static inline int isMarker(const uint8_t *field, long length, const uint8_t *markers, long markersSize) {
    for (long index = 0; index < markersSize; index += 1 + markers[index]) {
        if (markers[index] != length) continue;
        long byte = 0;
        while (byte < length && markers[index + 1 + byte] == field[byte]) byte++;
        if (byte == length) return 1;
    }
    return 0;
}

/// What a missing value is read as in the vector loop: a zero, its value written (+0.0, the zero bits the
/// Swift loop writes for a missing value) and its place recorded.
static const uint8_t zeros[16] = {
    '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0', '0',
};

BATCAT_AVX512 long batcat_plain_records(
    const uint8_t *base, long position, long start, const int32_t *offsets, long records, long fields, void *const *slots,
    long row, uint8_t delimiter, const uint8_t *markers, long markersSize, uint32_t markerLengths, long limit,
    int64_t *missing, long *missingCount) {
    long parsed = 0;
    long recordStart = start;
    long found = 0;
    *missingCount = 0;
    while (parsed < records) {
        // A last group of fewer than eight repeats its last record in the lanes left, and stores only its own.
        int count = records - parsed < 8 ? (int)(records - parsed) : 8;
        __mmask8 stored = (__mmask8)((1u << count) - 1);
        const int32_t *group = offsets + parsed * fields;
        long record[8];
        for (int k = 0; k < 8; k++) record[k] = k < count ? k : count - 1;
        long starts[8];
        const uint8_t *ends[8];
        long lengths[8];
        for (int k = 0; k < 8; k++) starts[k] = record[k] == 0 ? recordStart : position + group[record[k] * fields - 1] + 1;
        for (long field = 0; field < fields; field++) {
            int last = field == fields - 1;
            // Any length outside 1 to 16 makes this 16 or more (unsigned).
            unsigned long outside = 0;
            // The lanes of missing values.
            unsigned absent = 0;
            for (int k = 0; k < 8; k++) {
                long end = position + group[record[k] * fields + field];
                if (last) {
                    if (base[end] != '\n') return parsed;
                    // The last field ends before a CR LF's CR.
                    if (base[end - 1] == '\r') end -= 1;
                } else if (base[end] != delimiter) {
                    return parsed;
                }
                const uint8_t *first = base + starts[k];
                long length = end - starts[k];
                // A blank line is no record: the caller's loop passes over it.
                if (fields == 1 && length == 0) return parsed;
                starts[k] = end + 1;
                // Numbers are seldom as short as the markers, so the bytes are compared only at their lengths.
                if (length <= 16 && ((markerLengths >> length) & 1) != 0 && isMarker(first, length, markers, markersSize)) {
                    absent |= 1u << k;
                    ends[k] = zeros + 16;
                    lengths[k] = 1;
                    continue;
                }
                ends[k] = base + end;
                lengths[k] = length;
                // Checked here, as scalars: a vector load of the lengths just stored would wait for the stores.
                outside |= (unsigned long)(length - 1);
            }
            double *slot = (double *)slots[field];
            if (slot == 0) continue;
            if (outside >= 16 || !eight(ends, lengths, slot + row + parsed, stored)) return parsed;
            for (unsigned lanes = absent & stored; lanes != 0; lanes &= lanes - 1) {
                missing[found++] = field * limit + row + parsed + __builtin_ctz(lanes);
            }
        }
        // The group is whole: its missing values count.
        *missingCount = found;
        parsed += count;
        recordStart = position + group[count * fields - 1] + 1;
    }
    return parsed;
}

BATCAT_AVX512 long batcat_separators(const uint8_t *bytes, long blocks, uint8_t delimiter, int32_t *offsets, int *seen) {
    const __m512i delimiters = _mm512_set1_epi8((char)delimiter);
    const __m512i lineFeeds = _mm512_set1_epi8('\n');
    const __m512i quotes = _mm512_set1_epi8('"');
    const __m512i returns = _mm512_set1_epi8('\r');
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    __mmask64 quoted = 0, returned = 0;
    long count = 0;
    for (long block = 0; block < blocks; block++) {
        __m512i chunk = _mm512_loadu_si512((const void *)(bytes + 64 * block));
        uint64_t found = _mm512_cmpeq_epi8_mask(chunk, delimiters) | _mm512_cmpeq_epi8_mask(chunk, lineFeeds);
        quoted |= _mm512_cmpeq_epi8_mask(chunk, quotes);
        returned |= _mm512_cmpeq_epi8_mask(chunk, returns);
        // A quarter of the block at a time: the offsets of its bytes, those of separators packed to the front
        // and stored whole (the lanes past the count are written over next).
        __m512i offsetsHere = _mm512_add_epi32(lanes, _mm512_set1_epi32((int)(64 * block)));
        for (int quarter = 0; quarter < 4; quarter++) {
            __mmask16 mask = (__mmask16)(found >> (16 * quarter));
            _mm512_storeu_si512((void *)(offsets + count), _mm512_maskz_compress_epi32(mask, offsetsHere));
            count += __builtin_popcount(mask);
            offsetsHere = _mm512_add_epi32(offsetsHere, _mm512_set1_epi32(16));
        }
    }
    *seen = (quoted != 0 ? 1 : 0) | (returned != 0 ? 2 : 0);
    return count;
}

#else

int batcat_plain_records_available(void) { return 0; }

long batcat_separators(const uint8_t *bytes, long blocks, uint8_t delimiter, int32_t *offsets, int *seen) {
    (void)bytes, (void)blocks, (void)delimiter, (void)offsets;
    *seen = 0;
    return 0;
}

long batcat_plain_records(
    const uint8_t *base, long position, long start, const int32_t *offsets, long records, long fields, void *const *slots,
    long row, uint8_t delimiter, const uint8_t *markers, long markersSize, uint32_t markerLengths, long limit,
    int64_t *missing, long *missingCount) {
    (void)base, (void)position, (void)start, (void)offsets, (void)records, (void)fields, (void)slots, (void)row, (void)delimiter;
    (void)markers, (void)markersSize, (void)markerLengths, (void)limit, (void)missing;
    *missingCount = 0;
    return 0;
}

#endif
