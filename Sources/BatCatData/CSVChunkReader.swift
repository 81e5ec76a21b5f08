import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif


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
        let sets = ThreadShared(threadBuilders)
        var results: [SegmentResult] = window.buffer.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            guard bounds.count > 1 else {
                return [parser.parse(base, from: from, to: to, atEnd: atEnd, builders: threadBuilders[0])]
            }
            var slots = [SegmentResult?](repeating: nil, count: bounds.count)
            let sharedBase = ThreadShared(base)
            let parser = self.parser
            let readAhead = window.prefetch
            slots.withUnsafeMutableBufferPointer { buffer in
                // Segment i is parsed by one thread, with builder set i, into slot i.
                let out = ThreadShared(buffer)
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
                        out[index] = parser.parse(sharedBase.value, from: start, to: end, atEnd: true, builders: sets.value[index])
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
        // Each column's accumulator and builders are touched by one thread only.
        let (targets, shared) = (ThreadShared(accumulators), ThreadShared(results))
        let columns = accumulators.count
        let appendColumn: @Sendable (Int) -> Void = { index in
            for result in shared.value { targets.value[index].append(contentsOf: result.builders[index]) }
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
