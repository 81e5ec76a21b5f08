#if arch(x86_64)
import BatCatSIMD
import _Builtin_intrinsics.intel

/// Reads records of plain decimal numbers in two passes with SSE2 instructions, which every x86-64
/// processor has: first the offsets of every delimiter and line feed in a stretch of bytes, 64 bytes at
/// a time; then each field, whose two ends are now known, sixteen bytes at a time.
///
/// Hand-written because it is the hot loop of every CSV read, and no library in reach parses numbers from
/// raw bytes. The scalar parser (``NumberParsing``) finds a field's end only by reading its digits, so each
/// field waits for the one before it; with the ends known first, the fields of a row are independent and
/// the processor works on several at once. Parsing the 200 MB benchmark file from memory on one thread:
/// 0.27–0.30 s scalar, 0.20–0.23 s this way; a chunked read of it on two threads, six alternating runs of
/// each: median 0.27 → 0.22 s.
///
/// A field is read here when it is an optional sign, then at most sixteen digits with at most one point
/// among them (`-0.086910`, `17`, `5.`), and its digits make at most 2^53. Then one division by an exact
/// power of ten rounds correctly (Clinger's fast path), so the value is bit for bit what
/// ``NumberParsing/scanDouble(_:_:)`` gives. A field that is a missing marker (the empty field, `NA`…) is
/// read as missing here too: a file with a missing value in every fifth row (100 MB) described in 0.41 s
/// before, 0.26 s since. Integer, boolean and unquoted text columns come along (see ``TextFields``).
/// Lines may end in LF or CR LF. Anything else — exponents, longer numbers, quotes, a lone CR, dates — is
/// left to the scalar and general paths. Where the processor has AVX-512, records of numbers alone take a
/// loop in C instead of this one (see ``wideRecords``), with the same values bit for bit.
struct PlainDecimals: @unchecked Sendable {
    let delimiter: UInt8
    /// 16 zero bytes then 16 bytes of ones (the 16 bytes at `count` end in `count` ones), then 10^0 ... 10^16
    /// (a load, where a switch over the exponent compiles to an indirect jump). Made once for the process
    /// and never freed.
    private let tables: UnsafeRawPointer
    private static let powersOfTen = 32

    /// Bytes a window of the first pass covers at first; separator offsets are kept for one window at a
    /// time. A window that holds no whole record (a wide file) doubles, up to ``largestWindow``.
    static let window = 8192
    static let largestWindow = 1 << 16
    /// Offsets a window can produce: one a byte, and room for the eight (sixteen with AVX-512) written at once
    /// past the last one.
    static let offsetCapacity = largestWindow + 64

    /// `nil` when the delimiter could be part of a number, or is a quote or a line break.
    /// Missing-value markers; a field that is not a plain decimal but is one of these is read as missing.
    let matcher: MissingMatcher

    /// The missing-value markers as the AVX-512 loop takes them (see ``MissingMatcher/packed``).
    let packedMarkers: [UInt8]
    let markerLengths: UInt32

    init?(delimiter: UInt8, matcher: MissingMatcher) {
        guard !"0123456789.+-\"\r\n".utf8.contains(delimiter) else { return nil }
        self.delimiter = delimiter
        self.matcher = matcher
        (packedMarkers, markerLengths) = matcher.packed
        tables = PlainDecimals.sharedTables
    }

    /// Whether this processor runs `batcat_plain_records` (AVX-512, in the BatCatSIMD target), which reads
    /// records of numbers alone eight at a time, four fields to a register: `batcat describe` of the 200 MB
    /// benchmark file, 8 runs each, 436 → 400 ms of CPU; `batcat train` of it 0.394 → 0.332 s.
    static let wideRecords = batcat_plain_records_available() != 0

    /// Written once, before any reader can see it, and only read after.
    private nonisolated(unsafe) static let sharedTables: UnsafeRawPointer = {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: powersOfTen + 17 * 8, alignment: 16)
        for index in 0..<32 { raw.storeBytes(of: index < 16 ? 0 : 0xFF, toByteOffset: index, as: UInt8.self) }
        for exponent in 0...16 {
            raw.storeBytes(of: NumberParsing.powerOfTen(exponent), toByteOffset: powersOfTen + 8 * exponent, as: Double.self)
        }
        return UnsafeRawPointer(raw)
    }()

    /// What ``records(_:from:to:expectedFields:slots:row:limit:offsets:)`` did.
    struct Outcome {
        /// Rows written (from the `row` given).
        var rows: Int
        /// Where the next record starts.
        var position: Int
        /// Why it stopped: the limit was reached, or a record this path does not read is next (the scalar
        /// path should take it), or the stretch left has too few bytes or holds a quote or a lone CR.
        var stop: Stop
    }

    enum Stop {
        case limit, record, stretch
    }

    /// What a field's slot holds.
    enum SlotKind {
        case double, int, bool
    }

    /// Parses whole records from `from` while they are plain decimals or missing markers (skipping fields
    /// whose slot is `nil`), writing each value to `slots[field][row]`, up to `limit` rows; a missing
    /// value is written as zero and `field * limit + row` goes to `missing`. `kinds` gives each field's
    /// slot type (`nil`: all doubles); in an integer column a decimal ends the run (the scalar path widens
    /// the column), and a boolean column takes `true` and `false` as the scalar path spells them. Never reads before offset 0
    /// of `base` or at or past `to`; `offsets` holds ``offsetCapacity`` values; `window` starts at
    /// ``window`` and grows when records are longer. Text fields are `texts`' to keep (see ``TextFields``).
    /// Not inlined: it runs a batch of rows a call, and each kind of `texts` gets its own compiled loop.
    @inline(never)
    func records<Texts: TextFields>(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, expectedFields: Int,
        slots: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>, row: Int, limit: Int, kinds: UnsafeBufferPointer<SlotKind>?,
        texts: Texts, offsets: UnsafeMutablePointer<Int32>, window: inout Int, missing: inout [Int]
    ) -> Outcome {
        var position = from
        var row = row
        let last = expectedFields - 1
        // Records left before the AVX-512 loop is tried again, after a group it did not read.
        var wide = 0
        // A field is loaded from 17 bytes before its end.
        guard from >= 17 else { return Outcome(rows: 0, position: from, stop: .record) }
        let first = row
        while row < limit {
            let blocks = (min(to, position &+ window) &- position) / 64
            guard blocks > 0 else { return Outcome(rows: row &- first, position: position, stop: .stretch) }
            let (count, plain) = separators(base, from: position, blocks: blocks, into: offsets)
            guard plain else { return Outcome(rows: row &- first, position: position, stop: .stretch) }
            var whole = count / expectedFields
            if whole == 0 {
                // Not one whole record in the window: a wider one, unless the stretch ends here or the
                // widest is not enough.
                guard 64 * blocks == window, window < PlainDecimals.largestWindow else {
                    return Outcome(rows: row &- first, position: position, stop: .stretch)
                }
                window *= 2
                continue
            }
            whole = min(whole, limit &- row)
            var taken = 0
            var start = position
            var record = 0
            // Records of numbers alone go eight at a time through the AVX-512 loop where the processor has
            // it (missing-value markers too); a group it does not read (an exponent, say) and the records after
            // it, until `wide` comes round again, take the loop below.
            if PlainDecimals.wideRecords, kinds == nil, Texts.self == NoTextFields.self, wide <= 0 {
                // Whole groups of eight only: the records after the last one start the next window, in a group of
                // eight again, rather than taking a group's time with lanes left idle.
                let asked = whole >= 8 ? whole & ~7 : whole
                let parsed = withUnsafeTemporaryAllocation(of: Int64.self, capacity: asked &* expectedFields) { cells in
                    var found = 0
                    let parsed = packedMarkers.withUnsafeBufferPointer { markers in
                        batcat_plain_records(
                            base, position, start, offsets, asked, expectedFields, slots.baseAddress, row, delimiter, markers.baseAddress,
                            markers.count, markerLengths, limit, cells.baseAddress, &found)
                    }
                    for cell in cells[..<found] { missing.append(Int(cell)) }
                    return parsed
                }
                if parsed > 0 {
                    taken = parsed &* expectedFields
                    start = position &+ Int(offsets[taken &- 1]) &+ 1
                    row &+= parsed
                    record = parsed
                }
                if parsed < asked { wide = 64 } else { whole = asked }
            }
            while record < whole {
                record &+= 1
                wide &-= 1
                var fieldStart = start
                let marked = missing.count
                for field in 0..<last {
                    let end = position &+ Int(offsets[taken &+ field])
                    guard base[end] == delimiter, store(base, fieldStart, end, slots[field], field, row, limit, kinds, texts, &missing)
                    else {
                        missing.removeLast(missing.count - marked)
                        return Outcome(rows: row &- first, position: start, stop: .record)
                    }
                    fieldStart = end &+ 1
                }
                let lineEnd = position &+ Int(offsets[taken &+ last])
                // The last field ends before a CR LF's CR.
                let end = base[lineEnd &- 1] == 0x0D ? lineEnd &- 1 : lineEnd
                // A blank line is no record (in a file of one column it would look like one empty field): the
                // scalar path passes over it, as it does in any file.
                guard base[lineEnd] == 0x0A, last > 0 || end > fieldStart,
                    store(base, fieldStart, end, slots[last], last, row, limit, kinds, texts, &missing),
                    texts.append(base, row: row, limit: limit, missing: &missing)
                else {
                    missing.removeLast(missing.count - marked)
                    return Outcome(rows: row &- first, position: start, stop: .record)
                }
                taken &+= expectedFields
                start = lineEnd &+ 1
                row &+= 1
            }
            position = start
        }
        return Outcome(rows: row &- first, position: position, stop: .limit)
    }

    /// Reads the field `[start, end)` into `slot[row]`, or passes over it when `slot` is `nil`; `false`
    /// when it is neither a plain decimal nor a missing marker.
    @inline(__always)
    private func store<Texts: TextFields>(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ slot: UnsafeMutableRawPointer?, _ field: Int, _ row: Int,
        _ limit: Int, _ kinds: UnsafeBufferPointer<SlotKind>?, _ texts: Texts, _ missing: inout [Int]
    ) -> Bool {
        guard let slot else {
            texts.note(base, field, start, end)
            return true
        }
        if let kinds, kinds[field] != .double {
            if kinds[field] == .int {
                if let number = decimal(base, start, end), !number.hasPoint {
                    let magnitude = Int(truncatingIfNeeded: number.significand)
                    slot.assumingMemoryBound(to: Int.self)[row] = number.negative ? -magnitude : magnitude
                    return true
                }
            } else if let flag = ColumnBuilder.bool(base + start, base + end) {
                slot.assumingMemoryBound(to: Bool.self)[row] = flag
                return true
            }
        } else if let value = value(base, start, end) {
            slot.assumingMemoryBound(to: Double.self)[row] = value
            return true
        }
        guard matcher.matches(base + start, base + end) else { return false }
        // A missing value's slot holds zero, as `ColumnBuilder.appendMissing` writes.
        if kinds?[field] == .bool {
            slot.assumingMemoryBound(to: Bool.self)[row] = false
        } else {
            slot.assumingMemoryBound(to: UInt64.self)[row] = 0
        }
        missing.append(field &* limit &+ row)
        return true
    }

    /// Writes the offsets (from `from`) of the delimiters and line feeds in `blocks` 64-byte blocks from
    /// `from` to `offsets`, and says whether those bytes hold no quote and no CR but the CR of a CR LF (a
    /// CR in the window's last byte counts as one: its record ends in the next window, which looks again).
    @inline(__always)
    private func separators(
        _ base: UnsafePointer<UInt8>, from: Int, blocks: Int, into offsets: UnsafeMutablePointer<Int32>
    ) -> (count: Int, plain: Bool) {
        // With AVX-512, a block is one load and its separators' offsets are packed by the processor: a scoring
        // run of the 200 MB benchmark file, 8 alternating runs, 425 -> 411 ms of CPU (the pass was 8.4 % of
        // the samples, 6.9 % since: it waits on memory more than it computes).
        if PlainDecimals.wideRecords {
            var seen: Int32 = 0
            let count = batcat_separators(base + from, blocks, delimiter, offsets, &seen)
            guard seen & 1 == 0 else { return (count, false) }
            return (count, seen & 2 == 0 || returnsEndLines(base, from: from, blocks: blocks))
        }
        let delimiters = _mm_set1_epi8(CChar(bitPattern: delimiter))
        let lineFeeds = _mm_set1_epi8(0x0A)
        let quotes = _mm_set1_epi8(0x22)
        let returns = _mm_set1_epi8(0x0D)
        var quoted = _mm_setzero_si128()
        var returned = _mm_setzero_si128()
        var count = 0
        for block in 0..<blocks {
            let offset = 64 * block
            let p = base + from + offset
            var bits: UInt64 = 0
            for lane in 0..<4 {
                let bytes = load(p + 16 * lane)
                bits |= mask(_mm_or_si128(_mm_cmpeq_epi8(bytes, delimiters), _mm_cmpeq_epi8(bytes, lineFeeds))) << UInt64(16 * lane)
                quoted = _mm_or_si128(quoted, _mm_cmpeq_epi8(bytes, quotes))
                returned = _mm_or_si128(returned, _mm_cmpeq_epi8(bytes, returns))
            }
            // Eight offsets are written whatever the count (a row of numbers has about seven a block), so
            // the loop has no branch to mispredict; the rare ninth and later take a second loop.
            let found = bits.nonzeroBitCount
            let base32 = Int32(truncatingIfNeeded: offset)
            for index in 0..<8 {
                offsets[count + index] = base32 &+ Int32(truncatingIfNeeded: bits.trailingZeroBitCount)
                bits &= bits &- 1
            }
            var index = 8
            while bits != 0 {
                offsets[count + index] = base32 &+ Int32(truncatingIfNeeded: bits.trailingZeroBitCount)
                bits &= bits &- 1
                index += 1
            }
            count += found
        }
        guard _mm_movemask_epi8(quoted) == 0 else { return (count, false) }
        return (count, _mm_movemask_epi8(returned) == 0 || returnsEndLines(base, from: from, blocks: blocks))
    }

    /// Whether every CR in `blocks` 64-byte blocks from `from` is followed by a line feed (a CR in the last
    /// byte counts as one: its record ends in the next window, which looks again). Only windows that hold
    /// a CR come here, so files with LF line ends do not pay for it.
    private func returnsEndLines(_ base: UnsafePointer<UInt8>, from: Int, blocks: Int) -> Bool {
        let lineFeeds = _mm_set1_epi8(0x0A)
        let returns = _mm_set1_epi8(0x0D)
        // A CR in a block's last byte waits for the next block's first.
        var returnAtEnd: UInt64 = 0
        for block in 0..<blocks {
            let p = base + from + 64 * block
            var feeds: UInt64 = 0
            var returnBits: UInt64 = 0
            for lane in 0..<4 {
                let bytes = load(p + 16 * lane)
                feeds |= mask(_mm_cmpeq_epi8(bytes, lineFeeds)) << UInt64(16 * lane)
                returnBits |= mask(_mm_cmpeq_epi8(bytes, returns)) << UInt64(16 * lane)
            }
            if (returnBits & ~(feeds >> 1) & ~(1 << 63)) | (returnAtEnd & ~feeds & 1) != 0 { return false }
            returnAtEnd = returnBits >> 63
        }
        return true
    }

    /// The plain decimal in `[start, end)` as a double, or `nil`; reads the 17 bytes before `end`.
    @inline(__always)
    func value(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        guard let number = decimal(base, start, end), number.significand <= 1 << 53 else { return nil }
        let value =
            Double(number.significand)
            / (tables + PlainDecimals.powersOfTen).load(fromByteOffset: 8 * number.fractionDigits, as: Double.self)
        return Double(bitPattern: value.bitPattern | (number.negative ? 1 << 63 : 0))
    }

    /// The digits of the plain decimal in `[start, end)` as one integer, how many of them follow the point,
    /// and its sign; `nil` when the field is not one. Reads the 17 bytes before `end`.
    @inline(__always)
    func decimal(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int
    ) -> (
        significand: UInt64, fractionDigits: Int, negative: Bool, hasPoint: Bool
    )? {
        let length = end - start
        guard length >= 1 && length <= 16 else { return nil }
        let zero = _mm_set1_epi8(0x30)
        // The field ends in lane 15; `shifted` is the same bytes one lane later.
        let lanes = _mm_sub_epi8(load(base + end - 16), zero)
        let shifted = _mm_sub_epi8(load(base + end - 17), zero)
        let inField = (UInt64(0xFFFF) << UInt64(16 - length)) & 0xFFFF
        let points = mask(_mm_cmpeq_epi8(lanes, _mm_set1_epi8(CChar(UInt8(ascii: ".")) - 0x30))) & inField
        let digits = mask(_mm_cmpeq_epi8(_mm_min_epu8(lanes, _mm_set1_epi8(9)), lanes))
        // Branch-free: signs are random in real data, and a mispredicted branch costs more than the digits.
        let first = base[start]
        let negative = first == UInt8(ascii: "-")
        let signed = (first &- UInt8(ascii: "+")) & 0xFD == 0 ? 1 : 0
        let sign = UInt64(signed) << UInt64(16 - length)
        let hasPoint = points != 0 ? 1 : 0
        let fractionDigits = hasPoint == 1 ? points.leadingZeroBitCount - 48 : 0
        let allDigits = length - signed - hasPoint
        guard (digits | points | sign) & inField == inField, points & (points &- 1) == 0, allDigits >= 1 else { return nil }
        // The digits after the point where they stand, those before it from the load one byte earlier (so the
        // point drops out); without a point, all of them where they stand. Lanes before the number are zero.
        let fractionMask = (tables + (hasPoint == 1 ? fractionDigits : allDigits)).loadUnaligned(as: SIMD2<Int64>.self)
        let numberMask = (tables + allDigits).loadUnaligned(as: SIMD2<Int64>.self)
        let number = _mm_or_si128(_mm_and_si128(lanes, fractionMask), _mm_andnot_si128(fractionMask, _mm_and_si128(shifted, numberMask)))
        // Pairs, fours and eights of digits: 10a + b, 100ab + cd, 10000abcd + efgh. A pair is a 16-bit lane
        // a + 256b; times 2561 it is 256(10a + b) + a in the low 16 bits.
        let pairs = _mm_srli_epi16(_mm_mullo_epi16(number, _mm_set1_epi16(2561)), 8)
        let fours = _mm_madd_epi16(pairs, _mm_set1_epi32(0x0001_0064))
        let eights = UInt64(bitPattern: _mm_cvtsi128_si64(_mm_madd_epi16(_mm_packs_epi32(fours, fours), _mm_set1_epi32(0x0001_2710))))
        let significand = (eights & 0xFFFF_FFFF) &* 100_000_000 &+ (eights >> 32)
        return (significand, fractionDigits, negative, hasPoint == 1)
    }

    @inline(__always)
    private func load(_ p: UnsafePointer<UInt8>) -> SIMD2<Int64> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Int64>.self)
    }

    /// One bit a lane: its top bit.
    @inline(__always)
    private func mask(_ lanes: SIMD2<Int64>) -> UInt64 {
        UInt64(UInt16(truncatingIfNeeded: _mm_movemask_epi8(lanes)))
    }
}

/// What the two-pass reader does with the fields of text columns.
protocol TextFields {
    /// Notes the field `[start, end)` if it belongs to a text column (other fields without a slot are skipped).
    func note(_ base: UnsafePointer<UInt8>, _ field: Int, _ start: Int, _ end: Int)
    /// Appends the noted fields of a whole record to their builders (an empty text for a missing marker,
    /// its `field * limit + row` going to `missing`); `false`, with nothing appended, when one is not UTF-8.
    func append(_ base: UnsafePointer<UInt8>, row: Int, limit: Int, missing: inout [Int]) -> Bool
}

/// Records without text columns.
struct NoTextFields: TextFields {
    @inline(__always)
    func note(_ base: UnsafePointer<UInt8>, _ field: Int, _ start: Int, _ end: Int) {}

    @inline(__always)
    func append(_ base: UnsafePointer<UInt8>, row: Int, limit: Int, missing: inout [Int]) -> Bool { true }
}

/// Records with text columns: each field's span is kept until the record is whole.
struct SpannedTextFields: TextFields {
    /// Each field's builder when it is a text field; `nil` otherwise.
    let builders: UnsafeBufferPointer<Unmanaged<ColumnBuilder>?>
    /// The text fields, in order.
    let fields: UnsafeBufferPointer<Int>
    /// Two offsets a field: its span; a start of -1 for a missing marker.
    let spans: UnsafeMutableBufferPointer<Int>
    let matcher: MissingMatcher

    @inline(__always)
    func note(_ base: UnsafePointer<UInt8>, _ field: Int, _ start: Int, _ end: Int) {
        guard builders[field] != nil else { return }
        spans[2 &* field] = matcher.matches(base + start, base + end) ? -1 : start
        spans[2 &* field &+ 1] = end
    }

    @inline(__always)
    func append(_ base: UnsafePointer<UInt8>, row: Int, limit: Int, missing: inout [Int]) -> Bool {
        for (index, field) in fields.enumerated() {
            let builder = builders[field].unsafelyUnwrapped
            let start = spans[2 &* field]
            let appended = builder._withUnsafeGuaranteedRef { builder in
                start < 0
                    ? builder.appendText(UnsafeBufferPointer(start: base, count: 0))
                    : builder.appendText(UnsafeBufferPointer(start: base + start, count: spans[2 &* field &+ 1] &- start))
            }
            if !appended {
                for earlier in fields[..<index] { builders[earlier].unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.dropLastText() } }
                return false
            }
            if start < 0 { missing.append(field &* limit &+ row) }
        }
        return true
    }
}
#endif
