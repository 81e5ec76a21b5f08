// Plain decimal records with AVX-512: the field loop of BatCatData's two-pass CSV reader, eight records and
// so eight values of a column at a time, four fields to a 512-bit register; and its first pass, finding the
// separators 64 bytes at a time.
//
// Hand-written in C because Swift cannot compile one function for instructions beyond the baseline x86-64
// set (SSE2) and choose it at run time, and no library in reach parses numbers from raw bytes. The Swift
// loop it replaces spends about 75 instructions a field; here the digits of four fields are combined by the
// same multiply-adds in one register, and the checks of a field are bit operations on 64-bit masks. The eight
// records' offsets, separators and lengths for a field are gathered into one register too: as scalars, eight
// records at a time, that bookkeeping was a third of the loop's time.
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
    const uint8_t *const *ends, uint64_t inField, __m512i *significands, __m512i *fractions, __mmask8 *negative) {
    // Lane i holds the 16 bytes that end where field i ends.
    __m512i bytes = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)(ends[0] - 16)));
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[1] - 16)), 1);
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[2] - 16)), 2);
    bytes = _mm512_inserti32x4(bytes, _mm_loadu_si128((const __m128i *)(ends[3] - 16)), 3);
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
    const uint8_t *const *ends, __m256i lengths, double *out, __mmask8 stored) {
    __m512i lowDigits, highDigits, lowFractions, highFractions;
    __mmask8 lowNegative, highNegative;
    // One bit a byte: the field's bytes are the last `length` of each 16 (lengths are 1 to 16 here), four
    // fields' 16 bits to each half.
    __m128i inFields = _mm256_cvtepi32_epi16(_mm256_srlv_epi32(_mm256_set1_epi32((int)0xFFFF0000u), lengths));
    if (!four(ends, (uint64_t)_mm_cvtsi128_si64(inFields), &lowDigits, &lowFractions, &lowNegative)
        || !four(ends + 4, (uint64_t)_mm_extract_epi64(inFields, 1), &highDigits, &highFractions, &highNegative)) {
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
    const uint8_t *origin = base + position;
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    while (parsed < records) {
        // A last group of fewer than eight repeats its last record in the lanes left, and stores only its own.
        int count = records - parsed < 8 ? (int)(records - parsed) : 8;
        __mmask8 stored = (__mmask8)((1u << count) - 1);
        const int32_t *group = offsets + parsed * fields;
        // Each lane's record, and where its offsets start in the group. Offsets are from `position`.
        __m256i record = _mm256_min_epi32(lanes, _mm256_set1_epi32(count - 1));
        __m256i index = _mm256_mullo_epi32(record, _mm256_set1_epi32((int)fields));
        // A record starts after the line feed of the one before it; the group's first, at `recordStart`.
        __m256i starts = _mm256_add_epi32(
            _mm256_mmask_i32gather_epi32(
                _mm256_set1_epi32((int)(recordStart - position - 1)), _mm256_cmpgt_epi32_mask(record, _mm256_setzero_si256()),
                _mm256_sub_epi32(index, one), group, 4),
            one);
        for (long field = 0; field < fields; field++) {
            __m256i ends = _mm256_i32gather_epi32(group + field, index, 4);
            // The four bytes that end at each field's end: the separator on top, the byte before it below.
            __m256i around = _mm256_i32gather_epi32((const int *)(origin - 3), ends, 1);
            __m256i separators = _mm256_srli_epi32(around, 24);
            __m256i next = _mm256_add_epi32(ends, one);
            if (field == fields - 1) {
                if (_mm256_cmpneq_epi32_mask(separators, _mm256_set1_epi32('\n')) != 0) return parsed;
                // The last field ends before a CR LF's CR.
                __mmask8 returns = _mm256_cmpeq_epi32_mask(
                    _mm256_and_si256(_mm256_srli_epi32(around, 16), _mm256_set1_epi32(0xFF)), _mm256_set1_epi32('\r'));
                ends = _mm256_mask_sub_epi32(ends, returns, ends, one);
            } else if (_mm256_cmpneq_epi32_mask(separators, _mm256_set1_epi32(delimiter)) != 0) {
                return parsed;
            }
            __m256i lengths = _mm256_sub_epi32(ends, starts);
            // A blank line is no record: the caller's loop passes over it.
            if (fields == 1 && _mm256_cmpeq_epi32_mask(lengths, _mm256_setzero_si256()) != 0) return parsed;
            __m256i fieldStarts = starts;
            starts = next;
            double *slot = (double *)slots[field];
            if (slot == 0) continue;
            // Numbers are seldom as short as the markers, so the bytes are compared only in lanes of a
            // marker's length (a shift by 32 or more gives 0).
            __mmask8 absent = 0;
            __mmask8 candidates = _mm256_test_epi32_mask(_mm256_srlv_epi32(_mm256_set1_epi32((int)markerLengths), lengths), one);
            if (candidates != 0) {
                int32_t at[8], length[8];
                _mm256_storeu_si256((__m256i *)at, fieldStarts);
                _mm256_storeu_si256((__m256i *)length, lengths);
                for (unsigned lanesLeft = candidates; lanesLeft != 0; lanesLeft &= lanesLeft - 1) {
                    int k = __builtin_ctz(lanesLeft);
                    if (isMarker(origin + at[k], length[k], markers, markersSize)) absent |= (__mmask8)(1u << k);
                }
                // A missing value is read as a one-byte zero.
                lengths = _mm256_mask_mov_epi32(lengths, absent, one);
            }
            // Any length outside 1 to 16 (unsigned, less one, 16 or more) is not read here.
            if (_mm256_cmpge_epu32_mask(_mm256_sub_epi32(lengths, one), _mm256_set1_epi32(16)) != 0) return parsed;
            // The field ends as pointers; a missing value's is the end of sixteen zeros.
            const uint8_t *endPointers[8];
            __m512i pointers = _mm512_add_epi64(_mm512_set1_epi64((long long)origin), _mm512_cvtepi32_epi64(ends));
            pointers = _mm512_mask_mov_epi64(pointers, absent, _mm512_set1_epi64((long long)(zeros + 16)));
            _mm512_storeu_si512((void *)endPointers, pointers);
            if (!eight(endPointers, lengths, slot + row + parsed, stored)) return parsed;
            for (unsigned lanesLeft = absent & stored; lanesLeft != 0; lanesLeft &= lanesLeft - 1) {
                missing[found++] = field * limit + row + parsed + __builtin_ctz(lanesLeft);
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
