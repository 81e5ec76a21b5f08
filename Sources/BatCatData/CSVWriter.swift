import BatCatSIMD
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A destination for bytes: a file, or a buffer that is uploaded afterwards.
public protocol ByteSink {
    /// Writes all of `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DataError)
}

/// Writes to a file through its descriptor.
public final class FileByteSink: ByteSink {
    /// The path, for messages.
    public let path: String
    private var descriptor: Int32

    /// Creates or truncates `path`.
    public init(path: String) throws(DataError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DataError(
                .io, "cannot create '\(path)': \(String(cString: strerror(errno)))", hints: ["check that the folder exists and is writable"]
            )
        }
    }

    deinit { if descriptor >= 0 { _ = posixClose(descriptor) } }

    /// Bytes written so far, and up to where the system was asked to start writing them to disk.
    private var bytesWritten = 0
    private var writtenBack = 0

    /// Writes all of `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        var offset = 0
        while offset < bytes.count {
            let written = posixWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw DataError(.io, "cannot write '\(path)': \(String(cString: strerror(errno)))", hints: ["check the free disk space"])
            }
            offset += written
        }
        bytesWritten += bytes.count
        #if os(Linux)
        // Each megabyte, the disk starts on it while later bytes are made, so the flush at the end waits
        // for the last one only: a 26 MB output's final fsync took 11-13 ms, all of it waiting (2.5-3 ms with
        // a start every 4 MB, 0.8-1.9 ms every megabyte).
        // (Linux starts writing a range back when told its pages are not needed; it keeps what is dirty.)
        if bytesWritten - writtenBack >= FileByteSink.writeBehind {
            _ = posix_fadvise(descriptor, off_t(writtenBack), off_t(bytesWritten - writtenBack), POSIX_FADV_DONTNEED)
            writtenBack = bytesWritten
        }
        #endif
    }

    /// Bytes written before the disk is asked to start on them.
    static var writeBehind: Int { 1 << 20 }

    /// Flushes to disk and closes the file.
    public func close() throws(DataError) {
        guard descriptor >= 0 else { return }
        let synced = fsync(descriptor)
        let closed = posixClose(descriptor)
        descriptor = -1
        guard synced == 0, closed == 0 else {
            throw DataError(.io, "cannot finish writing '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}

@inline(__always)
func posixClose(_ descriptor: Int32) -> Int32 {
    close(descriptor)
}

@inline(__always)
func posixWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// Collects bytes in memory.
public struct MemoryByteSink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    /// Appends `bytes`.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) {
        self.bytes.append(contentsOf: bytes)
    }

    /// The bytes as UTF-8 text.
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// Writes frames as CSV, streaming: the header once, then each frame's rows as they come.
///
/// Numbers are written in their shortest round-trip form, so writing and reading back gives
/// identical values; missing values are empty fields; text is quoted when it holds the delimiter,
/// a quote, a line break, leading or trailing space, or is empty or spelled like a missing marker.
///
/// ```swift
/// var writer = CSVWriter(sink: try FileByteSink(path: "out.csv"))
/// try writer.write(frame)
/// try writer.finish()
/// ```
public struct CSVWriter<Sink: ByteSink> {
    /// Where the bytes go.
    public private(set) var sink: Sink
    private let delimiter: UInt8
    private let includeHeader: Bool
    private let missingMarkers: Set<String>
    private var columnNames: [String]?
    private var buffer: [UInt8] = []
    private var formatter: BlockFormatter
    /// The CSV lines of a frame's blocks, an array a block, kept for the next frame.
    private var lines: [[UInt8]] = []
    /// The formatters of the threads a large frame is formatted on.
    private var formatters: [BlockFormatter] = []

    /// Creates a writer; `header` says whether the first frame's column names are written first.
    public init(
        sink: Sink, delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true, missingMarkers: [String] = CSVOptions().missingMarkers
    ) {
        self.sink = sink
        self.delimiter = delimiter
        self.includeHeader = header
        self.missingMarkers = Set(missingMarkers)
        formatter = BlockFormatter(delimiter: delimiter, missingMarkers: self.missingMarkers)
    }

    /// Writes `frame`'s rows; every frame must have the first frame's columns.
    public mutating func write(_ frame: DataFrame) throws(DataError) {
        if let columnNames {
            guard columnNames == frame.columnNames else {
                throw DataError(
                    .lengthMismatch, "this frame's columns differ from the ones already written",
                    hints: ["write frames with the same columns in the same order"])
            }
        } else {
            columnNames = frame.columnNames
            if includeHeader {
                for (index, name) in frame.columnNames.enumerated() {
                    if index > 0 { buffer.append(delimiter) }
                    appendText(name, forceQuotes: false)
                }
                buffer.append(0x0A)
            }
        }
        try flush()
        // Blocks of rows: each column's cells are formatted in a loop of their own type (no per-cell
        // dispatch), then the rows are put together from them. A frame of many blocks is formatted on
        // every core, a share of its blocks each, and written in order.
        let blocks = stride(from: 0, to: frame.rowCount, by: CSVWriter.blockRows).map { $0..<Swift.min($0 + CSVWriter.blockRows, frame.rowCount) }
        let threads = Swift.min(CSVWriter.threads, blocks.count / CSVWriter.blocksPerThread)
        // The blocks' bytes go into the arrays the last frame's went into: fresh memory costs a page fault
        // every 4 KB, and a freed block's memory goes back to the system to be faulted in again.
        if lines.count < blocks.count { lines += repeatElement([], count: blocks.count - lines.count) }
        guard threads > 1 else {
            for (index, rows) in blocks.enumerated() {
                let count = formatter.format(frame, rows, into: &lines[index])
                try writeBlock(lines[index], count)
            }
            return
        }
        var counts = [Int](repeating: 0, count: blocks.count)
        // Each thread keeps its formatter, and so its cells' memory, from frame to frame.
        if formatters.count < threads { formatters += repeatElement(formatter, count: threads - formatters.count) }
        formatters.withUnsafeMutableBufferPointer { formatters in
            lines.withUnsafeMutableBufferPointer { lines in
                counts.withUnsafeMutableBufferPointer { counts in
                    // Thread t uses formatter t and writes only its own run of blocks' lines and counts.
                    let (formatters, out, counts) = (ThreadShared(formatters), ThreadShared(lines), ThreadShared(counts))
                    DispatchQueue.concurrentPerform(iterations: threads) { thread in
                        // Thread t takes the t-th of `threads` runs of neighbouring blocks.
                        for index in (blocks.count * thread / threads)..<(blocks.count * (thread + 1) / threads) {
                            counts[index] = formatters.value[thread].format(frame, blocks[index], into: &out.value[index])
                        }
                    }
                }
            }
        }
        for index in blocks.indices { try writeBlock(lines[index], counts[index]) }
    }

    /// Writes the first `count` bytes of `block`.
    private mutating func writeBlock(_ block: [UInt8], _ count: Int) throws(DataError) {
        var failure: DataError?
        block.withUnsafeBytes { raw in
            do throws(DataError) { try sink.write(UnsafeRawBufferPointer(rebasing: raw[..<count])) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Cores a frame is formatted on, and blocks a core takes at the least.
    static var threads: Int { Swift.max(1, systemCoreCount()) }
    static var blocksPerThread: Int { 4 }

    /// Flushes what is buffered; call once after the last frame.
    public mutating func finish() throws(DataError) {
        try flush()
    }

    private mutating func flush() throws(DataError) {
        guard !buffer.isEmpty else { return }
        try writeBlock(buffer, buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Rows formatted at a time.
    static var blockRows: Int { 4096 }

    private mutating func appendText(_ text: String, forceQuotes: Bool) {
        BlockFormatter.appendText(text, forceQuotes: forceQuotes, delimiter: delimiter, to: &buffer)
    }
}

/// Formats blocks of a frame's rows as CSV bytes.
struct BlockFormatter {
    let delimiter: UInt8
    let missingMarkers: Set<String>
    /// A block's formatted cells, column after column, in the first `used` bytes of `cells`, and where each
    /// cell ends. `cells` only ever grows, so numbers are written straight into its memory.
    private var cells: [UInt8] = []
    private var used = 0
    private var ends: [Int] = []
    /// A text cell, quoted as it needs.
    private var scratch: [UInt8] = []

    init(delimiter: UInt8, missingMarkers: Set<String>) {
        self.delimiter = delimiter
        self.missingMarkers = missingMarkers
    }

    /// Writes the CSV lines of `frame`'s `rows` at the start of `out`, which grows when it is too short, and
    /// returns their length.
    mutating func format(_ frame: DataFrame, _ rows: Range<Int>, into out: inout [UInt8]) -> Int {
        used = 0
        ends.removeAll(keepingCapacity: true)
        for column in frame.columns { appendCells(column, rows) }
        // Room for a cell's 16-byte copy past the last one (see below).
        BlockFormatter.makeRoom(16, at: used, in: &cells)
        let width = frame.columns.count
        let count = rows.count
        // Each row is its cells and one separator a cell (delimiters, then the line feed).
        let total = used + count * width
        BlockFormatter.makeRoom(total + 16, at: 0, in: &out)
        return cells.withUnsafeBytes { bytes in
            ends.withUnsafeBufferPointer { ends in
                out.withUnsafeMutableBytes { out in
                    let source = bytes.baseAddress!
                    let target = out.baseAddress!
                    var at = 0
                    for row in 0..<count {
                        for index in 0..<width {
                            let cell = index &* count &+ row
                            let from = cell == 0 ? 0 : ends[cell &- 1]
                            let length = ends[cell] &- from
                            // Most cells fit in 16 bytes: copied as one 16-byte load and store (the bytes past the
                            // cell are written over next), where a copy of their length costs a call.
                            if length <= 16 {
                                target.storeBytes(
                                    of: source.loadUnaligned(fromByteOffset: from, as: SIMD16<UInt8>.self), toByteOffset: at,
                                    as: SIMD16<UInt8>.self)
                            } else {
                                (target + at).copyMemory(from: source + from, byteCount: length)
                            }
                            at &+= length
                            target.storeBytes(of: index == width &- 1 ? 0x0A : delimiter, toByteOffset: at, as: UInt8.self)
                            at &+= 1
                        }
                    }
                    return at
                }
            }
        }
    }

    /// Formats `column`'s cells in `rows` after the cells before them, recording where each ends in ``ends``.
    private mutating func appendCells(_ column: Column, _ rows: Range<Int>) {
        let missing = column.missing
        switch column.values {
        case .double(let values):
            used = BlockFormatter.appendDoubles(values, rows, missing, at: used, to: &cells, ends: &ends)
        case .int(let values):
            used = BlockFormatter.appendInts(values, rows, missing, at: used, to: &cells, ends: &ends)
        case .bool(let values):
            for row in rows {
                if missing?[row] != true { appendUTF8(values[row] ? "true" : "false") }
                ends.append(used)
            }
        case .date(let values):
            for row in rows {
                if missing?[row] != true { appendUTF8(ISODate.format(values[row])) }
                ends.append(used)
            }
        case .string(let values):
            for row in rows {
                if missing?[row] != true {
                    let text = values[row]
                    scratch.removeAll(keepingCapacity: true)
                    BlockFormatter.appendText(
                        text, forceQuotes: text.isEmpty || missingMarkers.contains(text), delimiter: delimiter, to: &scratch)
                    scratch.withUnsafeBytes { append($0) }
                }
                ends.append(used)
            }
        }
    }

    /// The most bytes a number's text takes, with the room its writers may write past it (see the C formatters).
    private static var numberRoom: Int { 40 }

    /// Writes the cells of `values` in `rows` after the first `used` bytes of `cells`, a missing value as an
    /// empty cell, and returns the bytes used then.
    private static func appendInts(
        _ values: [Int], _ rows: Range<Int>, _ missing: [Bool]?, at used: Int, to cells: inout [UInt8], ends: inout [Int]
    ) -> Int {
        makeRoom(rows.count * numberRoom, at: used, in: &cells)
        var at = used
        cells.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            for row in rows {
                if missing?[row] != true { at &+= Int(batcat_format_int(Int64(values[row]), base + at)) }
                ends.append(at)
            }
        }
        return at
    }

    /// Writes the cells of `values` in `rows` after the first `used` bytes of `cells`, a missing value as an
    /// empty cell, and returns the bytes used then. The C formatter takes the whole run (eight values at a time
    /// where it can); a value it leaves, subnormal, infinite or NaN, is spelled here and the run goes on after it.
    private static func appendDoubles(
        _ values: [Double], _ rows: Range<Int>, _ missing: [Bool]?, at used: Int, to cells: inout [UInt8], ends: inout [Int]
    ) -> Int {
        makeRoom(rows.count * numberRoom, at: used, in: &cells)
        let first = ends.count
        ends.append(contentsOf: repeatElement(0, count: rows.count))
        var at = used
        values.withUnsafeBufferPointer { values in
            cells.withUnsafeMutableBufferPointer { cells in
                ends.withUnsafeMutableBufferPointer { ends in
                    ends.withMemoryRebound(to: Int64.self) { ends in
                        var row = rows.lowerBound
                        while row < rows.upperBound {
                            var formatted = 0
                            let written = withMissingBytes(missing, from: row) { missing in
                                batcat_format_doubles(
                                    values.baseAddress! + row, missing, rows.upperBound - row, cells.baseAddress! + at, Int64(at),
                                    ends.baseAddress! + first + (row - rows.lowerBound), &formatted)
                            }
                            at += written
                            row += formatted
                            guard row < rows.upperBound else { break }
                            at += spell(values[row], at: cells.baseAddress! + at)
                            ends[first + row - rows.lowerBound] = Int64(at)
                            row += 1
                        }
                    }
                }
            }
        }
        return at
    }

    /// Calls `body` with the bytes of `missing` from `row` on (a `Bool` is one byte, 0 or 1), or null.
    private static func withMissingBytes<T>(_ missing: [Bool]?, from row: Int, _ body: (UnsafePointer<UInt8>?) -> T) -> T {
        guard let missing else { return body(nil) }
        return missing.withUnsafeBufferPointer { flags in
            UnsafeRawPointer(flags.baseAddress! + row).withMemoryRebound(to: UInt8.self, capacity: flags.count - row) { body($0) }
        }
    }

    /// Makes `cells` at least `used + count` bytes long.
    static func makeRoom(_ count: Int, at used: Int, in cells: inout [UInt8]) {
        if cells.count < used + count { cells.append(contentsOf: repeatElement(0, count: used + count - cells.count)) }
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        BlockFormatter.makeRoom(bytes.count, at: used, in: &cells)
        let at = used
        cells.withUnsafeMutableBytes { target in
            target.baseAddress!.advanced(by: at).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        used += bytes.count
    }

    private mutating func appendUTF8(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `value`'s description at `text` (the values the C formatter leaves: subnormal, infinite or NaN,
    /// at most 24 bytes) and returns its length.
    private static func spell(_ value: Double, at text: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        for byte in value.description.utf8 {
            text[count] = byte
            count += 1
        }
        return count
    }

    /// Appends `text`, in quotes (doubled inside) when it needs them or `forceQuotes` says so.
    static func appendText(_ text: String, forceQuotes: Bool, delimiter: UInt8, to buffer: inout [UInt8]) {
        let utf8 = text.utf8
        let needsQuotes =
            forceQuotes || utf8.first == 0x20 || utf8.last == 0x20
            || utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard needsQuotes else {
            buffer.append(contentsOf: utf8)
            return
        }
        buffer.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == UInt8(ascii: "\"") { buffer.append(byte) }
            buffer.append(byte)
        }
        buffer.append(UInt8(ascii: "\""))
    }
}
