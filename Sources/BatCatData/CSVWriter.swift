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
        for row in 0..<frame.rowCount {
            for (index, column) in frame.columns.enumerated() {
                if index > 0 { buffer.append(delimiter) }
                appendField(column, row)
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 16 { try flush() }
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

    @inline(__always)
    private mutating func appendField(_ column: Column, _ row: Int) {
        if column.isMissing(row) { return }
        switch column.values {
        case .double(let values): buffer.append(contentsOf: NumberFormatting.shortest(values[row]).utf8)
        case .int(let values): buffer.append(contentsOf: String(values[row]).utf8)
        case .bool(let values): buffer.append(contentsOf: (values[row] ? "true" : "false").utf8)
        case .date(let values): buffer.append(contentsOf: ISODate.format(values[row]).utf8)
        case .string(let values):
            let text = values[row]
            appendText(text, forceQuotes: text.isEmpty || missingMarkers.contains(text))
        }
    }

    private mutating func appendText(_ text: String, forceQuotes: Bool) {
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
