import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


/// What parsing one stretch of bytes produced.
struct SegmentResult {
    enum Failure {
        case malformed(recordStart: Int, line: Int, offset: Int, reason: String)
        case fieldCount(recordStart: Int, line: Int, found: Int)
        case value(recordStart: Int, line: Int, offset: Int, column: Int, failure: AppendFailure, sentence: String)
    }

    var builders: [ColumnBuilder]
    var lineEnds = 0
    var consumed: Int
    var rows = 0
    var skippedLines: [Int] = []
    var skippedCount = 0
    var rejects: [(line: Int, reason: String)] = []
    var failure: Failure?
}

/// Parses records into typed columns; shared by the threads of a parallel parse.
struct SegmentParser: @unchecked Sendable {
    let tokenizer: CSVTokenizer
    let matcher: MissingMatcher
    let expectedFields: Int
    let fieldIndexes: [Int]
    let types: [ColumnType]
    let names: [String]
    let policy: BadLinePolicy
    #if arch(x86_64)
    /// The two-pass reader of plain decimals; `nil` when the delimiter could be part of a number.
    var decimals: PlainDecimals?
    #endif
    var isDouble: [Bool] { types.map { $0 == .double } }

    /// Whether a missing marker could be read as a number (such as `-999`), so every number must be
    /// checked against the markers before it is taken.
    var markersLookNumeric: Bool {
        let numberStarts = Set("0123456789+-.".utf8)
        return (0...255).contains { matcher.mayStart(with: UInt8($0)) && numberStarts.contains(UInt8($0)) }
    }

    /// How the fused path reads a field: skipped, or as the type its column has now.
    enum FieldKind {
        case skip, double, int, bool, date, string
    }

    /// Reads one plain record in a single pass: numbers are parsed where they stand, other fields are
    /// found by their delimiter, and the byte after each field must be the delimiter (or the line feed or
    /// CR LF, after the last field). Numbers, booleans and dates go to `slots[f][row]`; text fields' spans
    /// go to `spans` for the caller to append once the record is whole (a quoted text field on one line,
    /// without doubled quotes, is read too, and is never a missing marker). Anything else — another quote,
    /// an empty or missing field, spaces around a number, a lone CR, a decimal in an integer column, a
    /// record running past `to` — returns `nil`, and the general tokenizer takes the record; what this
    /// record wrote lies past the builders' counts and is overwritten later.
    @inline(__always)
    private func fusedRecord(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, kinds: UnsafeBufferPointer<FieldKind>,
        slots: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>, spans: UnsafeMutableBufferPointer<Int>, row: Int,
        checkMarkers: Bool
    ) -> Int? {
        var p = from
        let last = expectedFields - 1
        let delimiter = tokenizer.delimiter
        let quote = UInt8(ascii: "\"")
        for field in 0...last {
            let terminator = field == last ? UInt8(0x0A) : delimiter
            switch kinds[field] {
            case .double:
                guard let value = number(base, &p, to, terminator, checkMarkers, NumberParsing.scanDouble) else { return nil }
                slots[field].unsafelyUnwrapped.assumingMemoryBound(to: Double.self)[row] = value
            case .int:
                guard let value = number(base, &p, to, terminator, checkMarkers, NumberParsing.scanInt) else { return nil }
                slots[field].unsafelyUnwrapped.assumingMemoryBound(to: Int.self)[row] = value
            case .string where p < to && base[p] == quote:
                // A quoted text field on one line with no doubled quotes; anything else goes to the tokenizer.
                let start = p + 1
                p = start
                while p < to && base[p] != quote && base[p] != 0x0A { p += 1 }
                guard p < to, base[p] == quote, p + 1 < to, base[p + 1] != quote, let next = after(base, p + 1, to, terminator) else {
                    return nil
                }
                spans[2 * field] = start
                spans[2 * field + 1] = p
                p = next
            case let kind:
                guard p < to, base[p] != quote else { return nil }
                let start = p
                while p < to && base[p] != delimiter && base[p] != 0x0A && base[p] != 0x0D && base[p] != quote { p += 1 }
                let end = p
                guard let next = after(base, end, to, terminator) else { return nil }
                p = next
                switch kind {
                case .bool:
                    guard let value = ColumnBuilder.bool(base + start, base + end) else { return nil }
                    slots[field].unsafelyUnwrapped.assumingMemoryBound(to: Bool.self)[row] = value
                case .date:
                    guard let value = ISODate.parse(base + start, base + end) else { return nil }
                    slots[field].unsafelyUnwrapped.assumingMemoryBound(to: Double.self)[row] = value
                case .string:
                    guard !matcher.matches(base + start, base + end) else { return nil }
                    spans[2 * field] = start
                    spans[2 * field + 1] = end
                default:
                    break
                }
            }
        }
        return p
    }

    /// The number at `p`, which must end at `terminator` (and not be a missing marker, when markers can
    /// look like numbers); moves `p` past the terminator.
    @inline(__always)
    private func number<Value>(
        _ base: UnsafePointer<UInt8>, _ p: inout Int, _ to: Int, _ terminator: UInt8, _ checkMarkers: Bool,
        _ scan: (UnsafePointer<UInt8>, UnsafePointer<UInt8>) -> (Value, UnsafePointer<UInt8>)?
    ) -> Value? {
        guard p < to, !checkMarkers || !matcher.mayStart(with: base[p]), let (value, stop) = scan(base + p, base + to),
            let next = after(base, stop - base, to, terminator)
        else { return nil }
        p = next
        return value
    }

    /// Where the next field starts when the field ends at `end`: past the terminator, or past CR LF when
    /// the terminator is the line feed; `nil` when neither is there.
    @inline(__always)
    private func after(_ base: UnsafePointer<UInt8>, _ end: Int, _ to: Int, _ terminator: UInt8) -> Int? {
        guard end < to else { return nil }
        if base[end] == terminator { return end + 1 }
        if terminator == 0x0A && base[end] == 0x0D && end + 1 < to && base[end + 1] == 0x0A { return end + 2 }
        return nil
    }

    /// `fusedRecord` for records whose selected fields are all double columns (the others are skipped).
    @inline(__always)
    private func doublesRecord(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, slots: UnsafeMutableBufferPointer<UnsafeMutableRawPointer?>, row: Int,
        checkMarkers: Bool
    ) -> Int? {
        var p = from
        let last = expectedFields - 1
        let delimiter = tokenizer.delimiter
        for field in 0...last {
            let terminator = field == last ? UInt8(0x0A) : delimiter
            if let slot = slots[field] {
                guard let value = number(base, &p, to, terminator, checkMarkers, NumberParsing.scanDouble) else { return nil }
                slot.assumingMemoryBound(to: Double.self)[row] = value
            } else {
                guard p < to, base[p] != UInt8(ascii: "\"") else { return nil }
                while p < to && base[p] != delimiter && base[p] != 0x0A && base[p] != 0x0D { p += 1 }
                guard let next = after(base, p, to, terminator) else { return nil }
                p = next
            }
        }
        return p
    }

    /// Parses plain records (see `fusedRecord`) in batches written straight into the builders' memory,
    /// until a record needs the general tokenizer or the stretch ends; returns where it stopped.
    private func fusedRecords(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, builders: [ColumnBuilder], result: inout SegmentResult
    ) -> Int {
        let batch = 1024
        let checkMarkers = markersLookNumeric
        var position = from
        var kinds = [FieldKind](repeating: .skip, count: expectedFields)
        var textFields: [(field: Int, builder: ColumnBuilder)] = []
        for (column, field) in fieldIndexes.enumerated() {
            switch builders[column].type {
            case .double: kinds[field] = .double
            case .int: kinds[field] = .int
            case .bool: kinds[field] = .bool
            case .date: kinds[field] = .date
            case .string:
                kinds[field] = .string
                textFields.append((field, builders[column]))
            }
        }
        let slotCount = expectedFields
        let onlyDoubles = kinds.allSatisfy { $0 == .double || $0 == .skip }
        #if arch(x86_64)
        // Plain decimal records go through the two-pass reader until a stretch is not plain (quotes, a lone CR).
        let twoPassKinds = kinds.allSatisfy { $0 != .date }
        var useDecimals = twoPassKinds && !checkMarkers && decimals != nil
        // Plain buffers, so that the calls into the two-pass reader need no closures around them.
        let slotKinds = UnsafeMutableBufferPointer<PlainDecimals.SlotKind>.allocate(capacity: expectedFields)
        _ = slotKinds.initialize(from: kinds.map { $0 == .int ? .int : $0 == .bool ? .bool : .double })
        let textBuilders = UnsafeMutableBufferPointer<Unmanaged<ColumnBuilder>?>.allocate(capacity: expectedFields)
        textBuilders.initialize(repeating: nil)
        for text in textFields { textBuilders[text.field] = Unmanaged.passUnretained(text.builder) }
        let textFieldIndexes = UnsafeMutableBufferPointer<Int>.allocate(capacity: textFields.count)
        _ = textFieldIndexes.initialize(from: textFields.map(\.field))
        defer {
            slotKinds.deallocate()
            textBuilders.deallocate()
            textFieldIndexes.deallocate()
            withExtendedLifetime(textFields) {}
        }
        var decimalWindow = PlainDecimals.window
        // Missing values the two-pass reader met in this batch, as `field * batch + row`.
        var missingCells: [Int] = []
        var columnOfField = [Int](repeating: -1, count: expectedFields)
        for (column, field) in fieldIndexes.enumerated() { columnOfField[field] = column }
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: useDecimals ? PlainDecimals.offsetCapacity : 1)
        defer { offsets.deallocate() }
        #endif
        kinds.withUnsafeBufferPointer { kinds in
            withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: slotCount) { slots in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * slotCount) { spans in
                    while position < to {
                        slots.initialize(repeating: nil)
                        for (column, field) in fieldIndexes.enumerated() { slots[field] = builders[column].slots(reserving: batch) }
                        var rows = 0
                        do {
                            // Plain records go through the two-pass reader while it can take them, the rest one
                            // by one through the scalar path (files of doubles only: a loop small enough to
                            // inline the number parser).
                            records: while rows < batch && position < to {
                                #if arch(x86_64)
                                if let decimals, useDecimals {
                                    let slotKindsIfMixed = onlyDoubles ? nil : UnsafeBufferPointer(slotKinds)
                                    let outcome =
                                        textFields.isEmpty
                                        ? decimals.records(
                                            base, from: position, to: to, expectedFields: expectedFields, slots: slots, row: rows,
                                            limit: batch, kinds: slotKindsIfMixed, texts: NoTextFields(), offsets: offsets,
                                            window: &decimalWindow,
                                            missing: &missingCells)
                                        : decimals.records(
                                            base, from: position, to: to, expectedFields: expectedFields, slots: slots, row: rows,
                                            limit: batch, kinds: slotKindsIfMixed,
                                            texts: SpannedTextFields(
                                                builders: UnsafeBufferPointer(textBuilders), fields: UnsafeBufferPointer(textFieldIndexes),
                                                spans: spans, matcher: matcher),
                                            offsets: offsets, window: &decimalWindow, missing: &missingCells)
                                    rows += outcome.rows
                                    position = outcome.position
                                    switch outcome.stop {
                                    case .limit: continue
                                    // The scalar path takes this record; a stretch that is not plain, the rest.
                                    case .record: break
                                    case .stretch: useDecimals = false
                                    }
                                    guard rows < batch && position < to else { continue }
                                }
                                #endif
                                if onlyDoubles {
                                    guard
                                        let next = doublesRecord(
                                            base, from: position, to: to, slots: slots, row: rows, checkMarkers: checkMarkers)
                                    else { break }
                                    position = next
                                } else {
                                    guard
                                        let next = fusedRecord(
                                            base, from: position, to: to, kinds: kinds, slots: slots, spans: spans, row: rows,
                                            checkMarkers: checkMarkers)
                                    else { break }
                                    for (index, text) in textFields.enumerated() {
                                        let start = spans[2 * text.field]
                                        let bytes = UnsafeBufferPointer(start: base + start, count: spans[2 * text.field + 1] - start)
                                        if !text.builder.appendText(bytes) {
                                            // Not UTF-8: undo this record's text and let the general path report it.
                                            for earlier in textFields[..<index] { earlier.builder.dropLastText() }
                                            break records
                                        }
                                    }
                                    position = next
                                }
                                rows += 1
                            }
                        }
                        for builder in builders { builder.commit(rows) }
                        #if arch(x86_64)
                        if !missingCells.isEmpty {
                            var byColumn = [[Int]](repeating: [], count: builders.count)
                            for cell in missingCells { byColumn[columnOfField[cell / batch]].append(cell % batch) }
                            for (column, missingRows) in byColumn.enumerated() {
                                builders[column].markMissing(missingRows, inBatchOf: rows)
                            }
                            missingCells.removeAll(keepingCapacity: true)
                        }
                        #endif
                        result.rows += rows
                        result.lineEnds += rows
                        if rows < batch { break }
                    }
                }
            }
        }
        return position
    }

    /// A set of builders for one thread, reused from block to block so their memory stays mapped.
    func makeBuilders(capacity: Int) -> [ColumnBuilder] {
        types.map { ColumnBuilder(type: $0, capacity: capacity) }
    }

    func parse(_ base: UnsafePointer<UInt8>, from: Int, to: Int, atEnd: Bool, builders: [ColumnBuilder]) -> SegmentResult {
        for builder in builders { builder.reset() }
        var result = SegmentResult(builders: builders, consumed: from)
        // Unretained handles: the hot loop must not retain and release a builder per field.
        let handles = builders.map { Unmanaged.passUnretained($0) }
        defer { withExtendedLifetime(builders) {} }
        let isDouble = self.isDouble
        let spans = FieldSpans()
        var position = from
        let fused = expectedFields > 0
        // Records the fused path gave up on since it last parsed one; past a few, rows like these are
        // common here (missing values, quotes), so the fused path rests for a while.
        var fusedMisses = 0
        var generalRecords = 0
        records: while position < to {
            if fused && generalRecords == 0 {
                let next = fusedRecords(base, from: position, to: to, builders: builders, result: &result)
                if next == position {
                    fusedMisses += 1
                    if fusedMisses >= 8 { generalRecords = 256 }
                } else {
                    fusedMisses = 0
                }
                position = next
                if position >= to { break }
            } else if generalRecords > 0 {
                generalRecords -= 1
            }
            switch tokenizer.record(base, from: position, to: to, atEnd: atEnd, into: spans) {
            case .incomplete:
                break records
            case .malformed(let offset, let reason):
                result.failure = .malformed(recordStart: position, line: result.lineEnds, offset: offset, reason: reason)
                break records
            case .record(let next, let lineEnds):
                if spans.count == 1 && spans.starts[0] == spans.ends[0] && !spans.quoted(0) {
                    // A blank line: not a row.
                } else if spans.count != expectedFields {
                    if policy == .skip {
                        if result.skippedLines.count < 20 { result.skippedLines.append(result.lineEnds) }
                        result.skippedCount += 1
                        result.rejects.append((result.lineEnds, "expected \(expectedFields) fields, found \(spans.count)"))
                    } else {
                        result.failure = .fieldCount(recordStart: position, line: result.lineEnds, found: spans.count)
                        break records
                    }
                } else {
                    var skippedRecord = false
                    for column in 0..<fieldIndexes.count {
                        let field = fieldIndexes[column]
                        let start = base + spans.starts[field]
                        let end = base + spans.ends[field]
                        let builder = handles[column]
                        // Fast path: an unquoted number in a double column that cannot be a missing marker.
                        if isDouble[column] && spans.flags[field] == 0 && start < end && !matcher.mayStart(with: start.pointee),
                            let value = NumberParsing.double(start, end)
                        {
                            builder._withUnsafeGuaranteedRef { $0.appendDouble(value) }
                            continue
                        }
                        do throws(AppendFailure) {
                            try builder.takeUnretainedValue().append(
                                start, end, escaped: spans.escaped(field), quoted: spans.quoted(field), matcher: matcher)
                        } catch {
                            if policy == .skip {
                                for handle in handles { handle._withUnsafeGuaranteedRef { $0.truncate(to: result.rows) } }
                                if result.skippedLines.count < 20 { result.skippedLines.append(result.lineEnds) }
                                result.skippedCount += 1
                                result.rejects.append((result.lineEnds, error.sentence(column: names[column], field: start, end)))
                                skippedRecord = true
                                break
                            }
                            result.failure = .value(
                                recordStart: position, line: result.lineEnds, offset: spans.starts[field], column: column,
                                failure: error, sentence: error.sentence(column: names[column], field: start, end))
                            break records
                        }
                    }
                    if !skippedRecord { result.rows += 1 }
                }
                result.lineEnds += lineEnds
                position = next
            }
        }
        result.consumed = position
        return result
    }
}
