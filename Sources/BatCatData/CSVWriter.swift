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
    }

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
    /// A block's formatted cells, column after column, and where each cell ends.
    private var cells = CellBytes()
    private var ends: [Int] = []

    /// Creates a writer; `header` says whether the first frame's column names are written first.
    public init(
        sink: Sink, delimiter: UInt8 = UInt8(ascii: ","), header: Bool = true, missingMarkers: [String] = CSVOptions().missingMarkers
    ) {
        self.sink = sink
        self.delimiter = delimiter
        self.includeHeader = header
        self.missingMarkers = Set(missingMarkers)
        buffer.reserveCapacity(1 << 16)
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
        // A block of rows at a time: each column's cells are formatted in a loop of their own type (no
        // per-cell dispatch), then the rows are put together from them.
        let width = frame.columns.count
        var start = 0
        while start < frame.rowCount {
            let rows = Swift.min(CSVWriter.blockRows, frame.rowCount - start)
            cells.bytes.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            for column in frame.columns { appendCells(column, start..<(start + rows)) }
            cells.bytes.withUnsafeBufferPointer { bytes in
                ends.withUnsafeBufferPointer { ends in
                    for row in 0..<rows {
                        for index in 0..<width {
                            if index > 0 { buffer.append(delimiter) }
                            let cell = index * rows + row
                            let from = cell == 0 ? 0 : ends[cell - 1]
                            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<ends[cell]]))
                        }
                        buffer.append(0x0A)
                    }
                }
            }
            if buffer.count >= 1 << 16 { try flush() }
            start += rows
        }
        try flush()
    }

    /// Flushes what is buffered; call once after the last frame.
    public mutating func finish() throws(DataError) {
        try flush()
    }

    private mutating func flush() throws(DataError) {
        guard !buffer.isEmpty else { return }
        var failure: DataError?
        buffer.withUnsafeBytes { raw in
            do throws(DataError) { try sink.write(raw) } catch { failure = error }
        }
        if let failure { throw failure }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Rows formatted at a time.
    static var blockRows: Int { 4096 }

    /// Formats `column`'s cells in `rows` into ``cells``, recording where each ends in ``ends``.
    private mutating func appendCells(_ column: Column, _ rows: Range<Int>) {
        let missing = column.missing
        switch column.values {
        case .double(let values):
            for row in rows {
                if missing?[row] != true { values[row].write(to: &cells) }
                ends.append(cells.bytes.count)
            }
        case .int(let values):
            for row in rows {
                if missing?[row] != true { cells.append(values[row]) }
                ends.append(cells.bytes.count)
            }
        case .bool(let values):
            for row in rows {
                if missing?[row] != true { cells.bytes.append(contentsOf: (values[row] ? "true" : "false").utf8) }
                ends.append(cells.bytes.count)
            }
        case .date(let values):
            for row in rows {
                if missing?[row] != true { cells.bytes.append(contentsOf: ISODate.format(values[row]).utf8) }
                ends.append(cells.bytes.count)
            }
        case .string(let values):
            for row in rows {
                if missing?[row] != true {
                    let text = values[row]
                    CSVWriter.appendText(
                        text, forceQuotes: text.isEmpty || missingMarkers.contains(text), delimiter: delimiter, to: &cells.bytes)
                }
                ends.append(cells.bytes.count)
            }
        }
    }

    private mutating func appendText(_ text: String, forceQuotes: Bool) {
        CSVWriter.appendText(text, forceQuotes: forceQuotes, delimiter: delimiter, to: &buffer)
    }

    private static func appendText(_ text: String, forceQuotes: Bool, delimiter: UInt8, to buffer: inout [UInt8]) {
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

/// The bytes of formatted cells, as a text stream numbers print themselves into.
///
/// `Double.write(to:)` hands the stream the ASCII bytes of the shortest round-trip form (the same
/// text as `description`) through `_writeASCII`, without making a `String`: measured, 80 ns a value
/// against 155 ns through `description`, where a 17-digit number takes a heap allocation. Were that
/// hook ever to go, `write(_:)` receives the same text as a string.
struct CellBytes: TextOutputStream {
    var bytes: [UInt8] = []

    mutating func write(_ string: String) {
        bytes.append(contentsOf: string.utf8)
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
    }

    /// Appends `value` in decimal.
    mutating func append(_ value: Int) {
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(truncatingIfNeeded: magnitude % 10) &+ UInt8(ascii: "0")
                magnitude /= 10
            } while magnitude > 0
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start..<20]))
        }
    }
}
