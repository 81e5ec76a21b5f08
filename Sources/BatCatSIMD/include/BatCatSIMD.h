#ifndef BATCAT_SIMD_H
#define BATCAT_SIMD_H

#include <stdint.h>

/// Whether this processor runs `batcat_plain_records` (AVX-512 F, BW, DQ and VL); 0 everywhere else.
int batcat_plain_records_available(void);

/// Parses records of plain decimal numbers whose separator offsets are known, eight records at a time,
/// with AVX-512: field `f` of each record goes to `((double *)slots[f])[row + r]`, or is passed over
/// when `slots[f]` is null.
///
/// `offsets` holds `fields` offsets a record (from `position`: every delimiter and line feed), for
/// `records` records starting at `start`. A field is read here when it is what PlainDecimals reads: an
/// optional sign, then one to sixteen digits with at most one point among them, making at most 2^53,
/// divided once by an exact power of ten; so each value is bit for bit the scalar parser's. Lines may
/// end in LF or CR LF. Returns how many records were parsed: it stops before the first group of eight (or
/// the last, smaller group) holding a record it does not read, whose fields the caller reads its own way
/// (values it wrote for that group are then written again). Reads no byte before `start - 16` or past the
/// last record's line feed.
///
/// A field that is one of the missing-value markers is a missing value: zero goes to its slot and
/// `field * limit + row` to `missing` (room for `records * fields` entries), whose count is `*missingCount` on
/// return. `markers` holds `markersSize` bytes: each marker of at most 16 bytes as its length, then its bytes (the
/// empty marker as a single 0); bit n of `markerLengths` is set when a marker is n bytes long.
long batcat_plain_records(
    const uint8_t *base, long position, long start, const int32_t *offsets, long records, long fields, void *const *slots,
    long row, uint8_t delimiter, const uint8_t *markers, long markersSize, uint32_t markerLengths, long limit,
    int64_t *missing, long *missingCount);

/// The first pass of the same reader: the offsets (from `bytes`) of every `delimiter` and line feed in `blocks`
/// 64-byte blocks from `bytes`, in order, written to `offsets`, which has room for their count and 16 more.
/// Returns the count; bit 0 of `*seen` is set when the blocks hold a quote, bit 1 when they hold a CR.
long batcat_separators(const uint8_t *bytes, long blocks, uint8_t delimiter, int32_t *offsets, int *seen);

/// Writes `value` as Swift's `description` spells it (its shortest round-trip form, e.g. "0.1", "-2.5e-07",
/// "1e+16", "100.0") at `text`, which has room for 40 bytes (bytes past the text may be written over), and
/// returns its length; returns 0, having written at most a sign, for a subnormal, infinite or NaN value.
int batcat_format_double(double value, uint8_t *text);

/// Writes the `count` doubles at `values` one after another at `text`, each as `batcat_format_double` spells
/// it (eight at a time where the processor has AVX-512), a value whose byte in `missing` (when not null) is
/// nonzero as nothing, and sets `ends[i]` to `offset` plus where value i's text ends. `text` has room for 40
/// bytes a value. Stops before the first value it leaves to the caller (subnormal, infinite or NaN), with
/// how many values it wrote in `*formatted`; returns the bytes written.
long batcat_format_doubles(
    const double *values, const uint8_t *missing, long count, uint8_t *text, int64_t offset, int64_t *ends, long *formatted);

/// Writes `value` in decimal at `text`, which has room for 40 bytes (bytes past the text may be written
/// over), and returns its length.
int batcat_format_int(int64_t value, uint8_t *text);

#endif
