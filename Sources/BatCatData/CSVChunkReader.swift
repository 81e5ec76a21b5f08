import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes read so far and not yet parsed.
struct ByteWindow {
    var stream: any ByteStream
    var buffer: [UInt8]
    var filled = 0
    var consumed = 0
    var atEnd = false
    var totalBytes = 0
    /// Whether the buffer was just swapped for a prefetched one, so there is nothing to refill yet.
    var fresh = false
    /// Whether the unparsed bytes hold a quote, when known: the read-ahead looks while the bytes are
    /// hot, off the parsing threads' way; `nil` after a plain refill.
    var holdsQuotes: Bool?
    /// The read of the next block, once started, and the buffer it will reuse next time.
    private(set) var prefetch: ReadAhead?
    private var spare: [UInt8] = []

    /// The longest record the buffer grows to hold; a longer one is an error, at once.
    var maxRecordBytes = Int.max
    /// The line the unfinished record starts on (or after), for the error when it is too long.
    var recordLine = 1

    init(stream: any ByteStream, size: Int, maxRecordBytes: Int = .max) {
        self.stream = stream
        buffer = [UInt8](repeating: 0, count: max(size, 64))
        self.maxRecordBytes = maxRecordBytes
    }

    var name: String { stream.name }

    /// Moves the unparsed bytes to the front and reads until the buffer is full or the stream ends.
    /// A buffer holding only one unfinished record doubles, so a record of any length fits.
    mutating func refill() throws(DataError) {
        holdsQuotes = nil
        guard !atEnd else { return }
        if consumed > 0 {
            let remaining = filled - consumed
            buffer.withUnsafeMutableBytes { raw in
                raw.baseAddress!.copyMemory(from: raw.baseAddress! + consumed, byteCount: remaining)
            }
            filled = remaining
            consumed = 0
        } else if filled == buffer.count {
            guard buffer.count < maxRecordBytes else {
                throw DataError(
                    .malformedRow,
                    "\(name): the row starting on line \(recordLine)\(recordLine > 1 ? " or after it" : "") is longer than \(ByteWindow.size(maxRecordBytes)), the longest a row may be",
                    hints: [
                        "check that the file is CSV with line breaks between records, and that no quote is left open",
                        "to read longer rows, raise the limit (--max-row-mb, or read: {maxRowMB: …} in a spec)",
                    ])
            }
            buffer += [UInt8](repeating: 0, count: min(buffer.count, max(maxRecordBytes - buffer.count, 1)))
        }
        let read = try ByteWindow.fill(&buffer, from: filled, stream: &stream)
        filled += read.count
        totalBytes += read.count
        atEnd = read.atEnd
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// Reads into `buffer` from `start` until it is full or the stream ends.
    private static func fill(
        _ buffer: inout [UInt8], from start: Int, stream: inout any ByteStream
    ) throws(DataError) -> (
        count: Int, atEnd: Bool
    ) {
        var filled = start
        var failure: DataError?
        let total = buffer.count
        let atEnd = buffer.withUnsafeMutableBytes { raw -> Bool in
            while filled < total {
                let count: Int
                do throws(DataError) {
                    count = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]))
                } catch {
                    failure = error
                    return true
                }
                if count == 0 { return true }
                filled += count
            }
            return false
        }
        if let failure { throw failure }
        return (filled - start, atEnd)
    }

    /// Sets up the read of the next block, for one of the threads that parse this one to do first (see
    /// ``ReadAhead``): the bytes from `start` on (an unfinished record) go to the front of a second buffer,
    /// and the stream fills the rest. ``adoptPrefetch()`` makes it the window. The stream belongs to the read
    /// until then.
    mutating func startPrefetch(keepingFrom start: Int) {
        guard !atEnd, prefetch == nil else { return }
        var next = spare.count == buffer.count ? spare : [UInt8](repeating: 0, count: buffer.count)
        spare = []
        let kept = filled - start
        buffer.withUnsafeBytes { source in
            next.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: kept) }
        }
        // Handed over in a box the worker empties, so the buffer has one owner and filling it copies nothing.
        let box = Handover(Prefetched(buffer: next, kept: kept, stream: stream))
        next = []
        prefetch = ReadAhead { () throws(DataError) -> Prefetched in
            var job = box.take()
            let read = try ByteWindow.fill(&job.buffer, from: kept, stream: &job.stream)
            job.read = read.count
            job.atEnd = read.atEnd
            job.holdsQuotes = job.buffer.withUnsafeBytes { memchr($0.baseAddress!, Int32(UInt8(ascii: "\"")), kept + read.count) != nil }
            return job
        }
    }

    /// Takes the read set up by ``startPrefetch(keepingFrom:)``, if any (doing it now if no thread has), and
    /// makes its buffer the window.
    mutating func adoptPrefetch() throws(DataError) {
        guard let running = prefetch else { return }
        prefetch = nil
        let job = try running.value()
        stream = job.stream
        spare = buffer
        buffer = job.buffer
        filled = job.kept + job.read
        consumed = 0
        atEnd = job.atEnd
        totalBytes += job.read
        holdsQuotes = job.holdsQuotes
        fresh = true
    }

    /// Waits for a running read without using it (before reporting an error).
    mutating func cancelPrefetch() {
        guard let running = prefetch else { return }
        prefetch = nil
        if let job = try? running.value() { stream = job.stream }
    }
}

/// The read of a block, done once by whichever thread comes first: one of the threads that parse the block
/// before it, as a piece of that work, or the reader when it needs the bytes. A read on a thread of its own
/// competed with the parsing threads for the cores and was often not done when they were (measured: the
/// parse waited 4-12 ms a run of the benchmark file).
final class ReadAhead: @unchecked Sendable {
    private let work: @Sendable () throws(DataError) -> Prefetched
    private let started = Atomic<Bool>(false)
    private let finished = DispatchGroup()
    // Written once by the thread that runs the work, before it leaves the group; read after waiting on it.
    private var result: Result<Prefetched, DataError>?

    init(_ work: @escaping @Sendable () throws(DataError) -> Prefetched) {
        self.work = work
        finished.enter()
    }

    /// Does the read, unless another thread has started it.
    func run() {
        guard !started.exchange(true, ordering: .acquiringAndReleasing) else { return }
        do throws(DataError) {
            result = .success(try work())
        } catch {
            result = .failure(error)
        }
        finished.leave()
    }

    /// The read's result, once done (by this thread if no other has started it).
    func value() throws(DataError) -> Prefetched {
        run()
        finished.wait()
        return try result!.get()
    }
}

/// A value moved to another thread: the box gives it up once.
private final class Handover<Value>: @unchecked Sendable {
    private var value: Value?

    init(_ value: Value) {
        self.value = value
    }

    func take() -> Value {
        defer { value = nil }
        return value!
    }
}

/// A block read ahead.
struct Prefetched {
    var buffer: [UInt8]
    let kept: Int
    var stream: any ByteStream
    var read = 0
    var atEnd = false
    var holdsQuotes = true
}

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

/// Hands out a CSV stream's rows as frames of a fixed size. See ``CSVReader/chunks(stream:rows:)``.
///
/// Integer columns that meet a decimal value are widened to double from then on, so a later chunk
/// may have `double` where an earlier one had `int`; ``schema`` is updated when that happens.
public final class CSVChunkReader {
    /// The columns' names and types as read so far.
    public private(set) var schema: Schema
    /// Rows skipped so far, rows and bytes read.
    public private(set) var report = CSVReport()

    private var window: ByteWindow
    private let options: CSVOptions
    private let chunkRows: Int
    private var parser: SegmentParser
    private var linesBefore: Int
    /// The columns of the rows parsed and not yet handed out.
    private var accumulators: [ColumnAccumulator]
    /// One set of builders per parsing thread, kept between blocks.
    private var threadBuilders: [[ColumnBuilder]] = []
    /// Arrays of chunks given back with ``recycle(_:)``.
    private let recycled: RecycledArrays
    private var done = false
    #if os(Linux)
    /// Maps the columns' memory in ahead of a whole-file read.
    private var prefaulter: Prefaulter?
    #endif

    init(stream: some ByteStream, options: CSVOptions, rows: Int) throws(DataError) {
        guard rows > 0 else { throw DataError(.invalidArgument, "the chunk size must be at least 1 row, not \(rows)") }
        let setup = try CSVSetup(stream: stream, options: options)
        window = setup.window
        self.options = options
        chunkRows = rows
        linesBefore = setup.linesBefore
        schema = setup.schema
        parser = SegmentParser(
            tokenizer: CSVTokenizer(delimiter: options.delimiter), matcher: MissingMatcher(options.missingMarkers),
            expectedFields: setup.fieldCount, fieldIndexes: setup.fieldIndexes, types: setup.schema.fields.map(\.type),
            names: setup.schema.names, policy: options.onBadLines)
        #if arch(x86_64)
        parser.decimals = PlainDecimals(delimiter: options.delimiter, matcher: parser.matcher)
        #endif
        // Two chunks' arrays of each type: the one being parsed and the one being used.
        let recycled = RecycledArrays(limit: 2 * max(1, parser.types.count))
        self.recycled = recycled
        accumulators = parser.types.map { ColumnAccumulator(type: $0, recycled: recycled) }
        done = setup.fieldCount == 0
    }

    deinit {
        #if os(Linux)
        prefaulter?.stop()
        #endif
    }

    /// The next frame of rows, or `nil` after the last one.
    public func next() throws(DataError) -> DataFrame? {
        if chunkRows == Int.max {
            guard !done else { return nil }
            while try parseBlock() {}
            report.bytes = window.totalBytes
            return takeRows(Int.max)
        }
        while accumulatedRows < chunkRows {
            guard try parseBlock() else { break }
        }
        report.bytes = window.totalBytes
        guard accumulatedRows > 0 else { return nil }
        return takeRows(chunkRows)
    }

    /// Gives a chunk's memory back once nothing needs its rows any more, so later chunks are parsed into it
    /// instead of into fresh memory (whose first touch costs a page fault per 4 KiB: a quarter of a
    /// scoring run's CPU time, measured). Optional; safe to call from another thread while ``next()``
    /// runs, and harmless when the frame's columns are still held elsewhere (they are then left alone).
    public func recycle(_ frame: consuming DataFrame) {
        for column in frame.columns { recycled.give(column) }
    }

    /// Reads every remaining chunk and calls `body` with each.
    public func forEach(_ body: (DataFrame) throws -> Void) throws {
        while let chunk = try next() {
            try body(chunk)
            recycle(chunk)
        }
    }

    private var accumulatedRows: Int { accumulators.first?.count ?? 0 }

    /// A frame of the first `rows` accumulated rows (or all of them); the rest wait for the next chunk.
    private func takeRows(_ rows: Int) -> DataFrame {
        #if os(Linux)
        prefaulter?.stop()
        prefaulter = nil
        #endif
        var columns: [Column] = []
        for index in accumulators.indices {
            columns.append(accumulators[index].finish(name: schema.fields[index].name, rows: rows))
        }
        schema = Schema(columns.map { Field($0.name, $0.type) })
        return DataFrame(uncheckedColumns: columns, rowCount: columns.first?.count ?? 0)
    }

    /// Parses what the buffer holds after one refill; `false` when the stream is exhausted.
    private func parseBlock() throws(DataError) -> Bool {
        if done { return false }
        if window.fresh {
            window.fresh = false
        } else {
            window.recordLine = linesBefore + 1
            try window.refill()
        }
        if window.consumed >= window.filled && window.atEnd {
            done = true
            return false
        }
        let from = window.consumed
        let to = window.filled
        let atEnd = window.atEnd
        let threads = options.threads
        let (bounds, quoted) = window.buffer.withUnsafeBufferPointer { buffer in
            CSVChunkReader.parallelBounds(
                buffer.baseAddress!, from: from, to: to, atEnd: atEnd, holdsQuotes: window.holdsQuotes,
                segments: threads > 1 ? threads * CSVChunkReader.segmentsPerThread : 1,
                minimum: options.parallelMinimum)
        }
        while threadBuilders.count < bounds.count {
            threadBuilders.append(parser.makeBuilders(capacity: max(16, (to - from) / max(1, bounds.count) / 64)))
        }
        // A parallel parse ends at the block's last line feed, known before parsing: read the next
        // block meanwhile. Not when quotes decided the cuts: then the block may have to be parsed again
        // as one stretch (below), and its bytes must stay where they are.
        if bounds.count > 1 && !quoted { window.startPrefetch(keepingFrom: bounds[bounds.count - 1].1) }
        // Each thread touches only its own set of builders.
        nonisolated(unsafe) let sets = threadBuilders
        var results: [SegmentResult] = window.buffer.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            guard bounds.count > 1 else {
                return [parser.parse(base, from: from, to: to, atEnd: atEnd, builders: threadBuilders[0])]
            }
            nonisolated(unsafe) var slots = [SegmentResult?](repeating: nil, count: bounds.count)
            nonisolated(unsafe) let sharedBase = base
            let parser = self.parser
            let readAhead = window.prefetch
            slots.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                // Each thread takes the next segment not yet taken, so a thread the read-ahead (or anything
                // else) slows down parses fewer of them instead of holding the others up at the end. The
                // first thread to start reads the next block first.
                let next = Atomic<Int>(0)
                DispatchQueue.concurrentPerform(iterations: min(threads, bounds.count)) { _ in
                    readAhead?.run()
                    while true {
                        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < bounds.count else { return }
                        let (start, end) = bounds[index]
                        // Each segment ends just after a line feed outside quotes, so its records are whole.
                        out[index] = parser.parse(sharedBase, from: start, to: end, atEnd: true, builders: sets[index])
                    }
                }
            }
            return slots.map { $0! }
        }
        if quoted && results.count > 1 && results.contains(where: { $0.failure != nil }) {
            // Counting quotes is wrong when a quote stands inside an unquoted field (the tokenizer reads it as
            // a letter), and a cut inside a quoted field makes the segment before it fail. Whatever failed,
            // parsing the block as one stretch gives the answer a sequential read gives.
            results = window.buffer.withUnsafeBufferPointer { buffer in
                [parser.parse(buffer.baseAddress!, from: from, to: to, atEnd: atEnd, builders: threadBuilders[0])]
            }
        }
        let rowsHere = results.reduce(0) { $0 + $1.rows }
        if accumulatedRows == 0 && rowsHere > 0 {
            // Reserve the columns once: for the whole file (estimated from this block's bytes per row) or
            // for a chunk and the block that may overflow it.
            var estimate = chunkRows == Int.max ? 0 : chunkRows + 2 * rowsHere
            let bytesHere = (results.last?.consumed ?? to) - from
            if chunkRows == Int.max, report.rows == 0, let size = window.stream.sizeHint, bytesHere > 0 {
                estimate = Int(Double(rowsHere) * Double(size) / Double(bytesHere) * 1.02) + 16
            }
            for accumulator in accumulators { accumulator.reserve(estimate) }
            #if os(Linux)
            if chunkRows == Int.max { prefaulter = Prefaulter(regions: accumulators.compactMap { $0.reservedMemory() }) }
            #endif
        }
        var lines = linesBefore
        for result in results {
            if let failure = result.failure {
                window.cancelPrefetch()
                throw error(for: failure, linesBefore: lines)
            }
            lines += result.lineEnds
        }
        lines = linesBefore
        merge(results, values: rowsHere * accumulators.count)
        for result in results {
            for line in result.skippedLines where report.skippedLines.count < 20 { report.skippedLines.append(lines + line + 1) }
            report.skippedRows += result.skippedCount
            for reject in result.rejects { report.rejects.append(.init(line: lines + reject.line + 1, reason: reject.reason)) }
            report.rows += result.rows
            lines += result.lineEnds
        }
        linesBefore = lines
        window.consumed = results.last!.consumed
        try window.adoptPrefetch()
        return true
    }

    /// Copies each segment's values into the accumulators, in parallel across columns when there are
    /// enough values to be worth it.
    private func merge(_ results: [SegmentResult], values: Int) {
        nonisolated(unsafe) let targets = accumulators
        nonisolated(unsafe) let results = results
        let columns = targets.count
        // Each column's accumulator and builders are touched by one thread only.
        let appendColumn: @Sendable (Int) -> Void = { index in
            for result in results { targets[index].append(contentsOf: result.builders[index]) }
        }
        if options.threads > 1 && columns > 1 && values >= 1 << 16 {
            DispatchQueue.concurrentPerform(iterations: columns, execute: appendColumn)
        } else {
            for index in 0..<columns { appendColumn(index) }
        }
    }

    /// Segments a block is cut into per parsing thread: more than one, so that threads share the work
    /// out as they go.
    static let segmentsPerThread = 4

    /// Splits `[from, to)` at record ends into up to `segments` stretches when it is large enough to be
    /// worth it; otherwise one stretch. A record ends at a line feed outside quotes; `quoted` says quotes
    /// were counted to find them (see the fallback in `parseBlock`). `holdsQuotes` says whether the bytes
    /// hold a quote, when that is known already.
    static func parallelBounds(
        _ base: UnsafePointer<UInt8>, from: Int, to: Int, atEnd: Bool, holdsQuotes: Bool? = nil, segments: Int, minimum: Int
    ) -> (bounds: [(Int, Int)], quoted: Bool) {
        let length = to - from
        guard segments > 1, length >= max(minimum, 1) else { return ([(from, to)], false) }
        let quoted = holdsQuotes ?? (memchr(base + from, Int32(UInt8(ascii: "\"")), length) != nil)
        // The record ends nearest after each target, and the last one in the block.
        var targets = (1..<segments).map { from + length * $0 / segments }
        var cuts: [Int] = []
        var lastEnd = -1
        var position = from
        var inQuotes = false
        while position < to {
            // The next quote (or the end) closes a run of bytes that are all inside or all outside quotes.
            let runEnd = quoted ? (find(UInt8(ascii: "\""), base, from: position, to: to) ?? to) : to
            if !inQuotes {
                while let target = targets.first, target < runEnd {
                    let start = max(position, target)
                    if let lineFeed = find(0x0A, base, from: start, to: runEnd) {
                        cuts.append(lineFeed + 1)
                        targets.removeFirst()
                    } else {
                        targets[0] = runEnd
                        break
                    }
                }
                var index = runEnd - 1
                while index >= position && base[index] != 0x0A { index -= 1 }
                if index >= position { lastEnd = index + 1 }
            }
            inQuotes.toggle()
            position = runEnd + 1
        }
        if atEnd { lastEnd = to }
        guard lastEnd > from else { return ([(from, to)], false) }
        var bounds: [(Int, Int)] = []
        var start = from
        for cut in cuts where cut > start && cut < lastEnd {
            bounds.append((start, cut))
            start = cut
        }
        bounds.append((start, lastEnd))
        return (bounds, quoted)
    }

    /// The offset of the first `byte` in `[from, to)`.
    private static func find(_ byte: UInt8, _ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int? {
        guard from < to, let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }

    private func error(for failure: SegmentResult.Failure, linesBefore: Int) -> DataError {
        let name = window.name
        return window.buffer.withUnsafeBufferPointer { buffer -> DataError in
            func location(recordStart: Int, line: Int, offset: Int) -> (line: Int, column: Int) {
                var absolute = linesBefore + line + 1
                var lineStart = recordStart
                var index = recordStart
                while index < offset {
                    if buffer[index] == 0x0A {
                        absolute += 1
                        lineStart = index + 1
                    }
                    index += 1
                }
                return (absolute, offset - lineStart + 1)
            }
            switch failure {
            case .malformed(let recordStart, let line, let offset, let reason):
                let at = location(recordStart: recordStart, line: line, offset: offset)
                return DataError(
                    .malformedRow, "\(name):\(at.line):\(at.column): \(reason)",
                    hints: ["quote fields that hold the delimiter, quotes or line breaks, and double the quotes inside them (\"\")"])
            case .fieldCount(let recordStart, let line, let found):
                let at = location(recordStart: recordStart, line: line, offset: recordStart)
                return DataError(
                    .fieldCount, "\(name):\(at.line): expected \(parser.expectedFields) fields, found \(found)",
                    hints: ["fix the row, or leave such rows out (--on-bad-lines skip, where a command has it)"])
            case .value(let recordStart, let line, let offset, let column, let failure, let sentence):
                let at = location(recordStart: recordStart, line: line, offset: offset)
                let field = schema.fields[column]
                guard failure != .invalidUTF8 else {
                    return DataError(
                        .invalidText, "\(name):\(at.line):\(at.column): \(sentence)",
                        hints: ["convert the file to UTF-8, for example with: iconv -f latin1 -t utf-8"])
                }
                let typeHint =
                    options.types[field.name] == nil
                    ? "declare the column's type (for example string) instead of inferring it from the first \(options.inferenceRows) rows"
                    : "the column's type was given as \(field.type): give it another type (for example string), or fix the value"
                return DataError(
                    .typeMismatch, "\(name):\(at.line):\(at.column): \(sentence), but the column was read as \(field.type)",
                    hints: [typeHint, "or add the value's spelling to the missing-value markers if it means 'missing'"])
            }
        }
    }
}

/// Reads the header and a sample, and decides the columns and their types.
struct CSVSetup {
    var window: ByteWindow
    var linesBefore = 0
    var schema = Schema([])
    var fieldCount = 0
    var fieldIndexes: [Int] = []

    init(stream: some ByteStream, options: CSVOptions) throws(DataError) {
        window = ByteWindow(stream: stream, size: options.blockSize, maxRecordBytes: options.maxRowBytes)
        try window.refill()
        if window.filled >= 3 && window.buffer[0] == 0xEF && window.buffer[1] == 0xBB && window.buffer[2] == 0xBF {
            window.consumed = 3
        }
        let tokenizer = CSVTokenizer(delimiter: options.delimiter)
        let matcher = MissingMatcher(options.missingMarkers)
        let spans = FieldSpans()
        // Skip leading blank lines, then read the first record.
        var firstNext = 0
        var firstLineEnds = 0
        while true {
            if window.consumed >= window.filled && window.atEnd {
                if options.hasHeader {
                    throw DataError(
                        .emptyInput, "\(window.name) is empty: it has no header row", hints: ["check that the file was written completely"])
                }
                return
            }
            let outcome = window.buffer.withUnsafeBufferPointer {
                tokenizer.record($0.baseAddress!, from: window.consumed, to: window.filled, atEnd: window.atEnd, into: spans)
            }
            switch outcome {
            case .incomplete:
                window.recordLine = linesBefore + 1
                try window.refill()
                continue
            case .malformed(let offset, let reason):
                throw DataError(.malformedRow, "\(window.name):\(linesBefore + 1):\(offset - window.consumed + 1): \(reason)")
            case .record(let next, let lineEnds):
                if spans.count == 1 && spans.starts[0] == spans.ends[0] && !spans.quoted(0) {
                    window.consumed = next
                    linesBefore += lineEnds
                    continue
                }
                firstNext = next
                firstLineEnds = lineEnds
            }
            break
        }
        fieldCount = spans.count
        var names: [String]
        if options.hasHeader {
            names = []
            for index in 0..<spans.count {
                let bytes = Array(window.buffer[spans.starts[index]..<spans.ends[index]])
                guard var name = String(validating: bytes, as: UTF8.self) else {
                    throw DataError(
                        .invalidText, "\(window.name):\(linesBefore + 1): the header's field \(index + 1) is not valid UTF-8 text")
                }
                if spans.escaped(index) { name = name.split(separator: "\"\"", omittingEmptySubsequences: false).joined(separator: "\"") }
                name = String(name.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
                names.append(name.isEmpty ? "column_\(index + 1)" : name)
            }
            if !options.renameDuplicates {
                var seen = Set<String>()
                let repeated = names.filter { !seen.insert($0).inserted }
                if !repeated.isEmpty {
                    let listed = Array(Set(repeated)).sorted().map { "'\($0)'" }.joined(separator: ", ")
                    throw DataError(
                        .duplicateColumn, "\(window.name):\(linesBefore + 1): the header names \(listed) more than once",
                        hints: [
                            "rename the columns in the file, or read it with duplicates renamed (x, x.1, …): --rename-duplicates, or read: {renameDuplicates: true} in a spec"
                        ])
                }
            }
            window.consumed = firstNext
            linesBefore += firstLineEnds
        } else {
            names = (1...spans.count).map { $0 <= options.headerlessNames.count ? options.headerlessNames[$0 - 1] : "column_\($0)" }
        }
        names = CSVSetup.uniqued(names)
        if let wanted = options.columns {
            fieldIndexes = []
            for name in wanted {
                guard let index = names.firstIndex(of: name) else { throw DataError.unknownColumn(name, in: names, file: window.name) }
                fieldIndexes.append(index)
            }
        } else {
            fieldIndexes = Array(0..<fieldCount)
        }
        fieldIndexes.removeAll { options.leftOut.contains(names[$0]) }
        for name in options.types.keys.sorted() where !names.contains(name) {
            throw DataError.unknownColumn(name, in: names, file: window.name)
        }
        // The sample is the first `inferenceRows` whole records, whatever the block size: read more
        // (growing the buffer if need be) while it ends inside a record.
        var guesses: [TypeGuess]
        while true {
            let (sampled, needsMore) = sampleTypes(tokenizer: tokenizer, matcher: matcher, options: options)
            guesses = sampled
            if !needsMore || window.atEnd { break }
            window.recordLine = linesBefore + 1
            try window.refill()
        }
        schema = Schema(
            fieldIndexes.map { index in
                Field(names[index], options.types[names[index]] ?? guesses[index].type(parseDates: options.parseDates))
            })
    }

    /// Renames repeated names `x`, `x.1`, `x.2`, … so every column can be addressed.
    static func uniqued(_ names: [String]) -> [String] {
        var seen: [String: Int] = [:]
        var taken = Set(names)
        return names.map { name in
            guard let count = seen[name] else {
                seen[name] = 0
                return name
            }
            var next = count + 1
            while taken.contains("\(name).\(next)") { next += 1 }
            seen[name] = next
            taken.insert("\(name).\(next)")
            return "\(name).\(next)"
        }
    }

    /// Type guesses from the records in the buffer, and whether the buffer ended inside one before the
    /// sample was complete.
    private func sampleTypes(tokenizer: CSVTokenizer, matcher: MissingMatcher, options: CSVOptions) -> ([TypeGuess], Bool) {
        var guesses = [TypeGuess](repeating: TypeGuess(), count: fieldCount)
        let spans = FieldSpans()
        var position = window.consumed
        var rows = 0
        var needsMore = false
        window.buffer.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            while rows < options.inferenceRows && position < window.filled {
                let outcome = tokenizer.record(base, from: position, to: window.filled, atEnd: window.atEnd, into: spans)
                if case .incomplete = outcome {
                    needsMore = true
                    break
                }
                guard case .record(let next, _) = outcome else { break }
                position = next
                guard spans.count == fieldCount else { continue }
                for index in fieldIndexes {
                    let start = base + spans.starts[index]
                    let end = base + spans.ends[index]
                    if matcher.matches(start, end) {
                        if spans.quoted(index) { guesses[index].sawQuotedMarker = true }
                        continue
                    }
                    guesses[index].observe(start, end)
                }
                rows += 1
            }
        }
        // Running out of bytes before the sample is complete also needs more, unless the stream has ended.
        if rows < options.inferenceRows && position >= window.filled && !window.atEnd { needsMore = true }
        return (guesses, needsMore)
    }
}

/// What the sampled values of one column could all be read as.
struct TypeGuess {
    var sawValue = false
    /// A quoted field spelled like a missing marker: missing in a number column, text in a text column.
    var sawQuotedMarker = false
    var canBool = true
    var canInt = true
    var canDouble = true
    var canDate = true

    mutating func observe(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) {
        sawValue = true
        var s = start
        var e = end
        while s < e && (s.pointee == 0x20 || s.pointee == 0x09) { s += 1 }
        while e > s && (e[-1] == 0x20 || e[-1] == 0x09) { e -= 1 }
        if canBool && ColumnBuilder.bool(s, e) == nil { canBool = false }
        if canInt && NumberParsing.int(s, e) == nil { canInt = false }
        if canDouble && !canInt && NumberParsing.double(s, e) == nil { canDouble = false }
        if canDate && ISODate.parse(s, e) == nil { canDate = false }
    }

    func type(parseDates: Bool) -> ColumnType {
        guard sawValue else { return sawQuotedMarker ? .string : .double }
        if canBool { return .bool }
        if canInt { return .int }
        if canDouble { return .double }
        if parseDates && canDate { return .date }
        return .string
    }
}
