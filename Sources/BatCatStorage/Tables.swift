import BatCatData
import Synchronization

/// Rows that arrive a frame at a time from a table source.
public protocol TableChunks: AnyObject {
    /// The columns' names and types as read so far.
    var schema: Schema { get }
    /// Rows read and skipped so far, and bytes read.
    var report: CSVReport { get }
    /// The next frame of rows, or `nil` after the last.
    func next() async throws(StorageError) -> DataFrame?
}

/// A table to read: a CSV object today (``CSVTable``); SQL tables and queries plug in by URL scheme with
/// ``TableSources/register(_:)``.
public protocol TableSource: Sendable, CustomStringConvertible {
    /// The columns' names and types, from the first rows.
    func schema() async throws(StorageError) -> Schema
    /// A reader that hands out frames of at most `rows` rows, with only `columns` when given (in the order given).
    func chunks(rows: Int, columns: [String]?) async throws(StorageError) -> any TableChunks
}

extension TableSource {
    /// The whole table (only `columns` when given), and what the read skipped.
    public func read(columns: [String]? = nil) async throws(StorageError) -> (frame: DataFrame, report: CSVReport) {
        let chunks = try await chunks(rows: Int.max, columns: columns)
        let frame = try await chunks.next() ?? DataFrame.empty(schema: chunks.schema)
        return (frame, chunks.report)
    }
}

/// Where a table is written: all of it becomes visible on ``commit()``, or none of it.
public protocol TableSink: AnyObject {
    /// Adds rows; every frame must have the first frame's columns.
    func write(_ frame: DataFrame) async throws(StorageError)
    /// Makes every row written visible at once.
    func commit() async throws(StorageError)
    /// Drops what was written.
    func abort() async
}

/// A kind of table location, by URL scheme (`sqlite`, `postgresql`).
public protocol TableScheme: Sendable {
    /// The URL scheme, without `://`.
    var scheme: String { get }
    /// The table or query `location` names.
    func source(_ location: String) throws(StorageError) -> any TableSource
    /// A sink that writes the table `location` names.
    func sink(_ location: String) throws(StorageError) -> any TableSink
}

/// A CSV file in any object store, read with the given options.
public struct CSVTable: TableSource {
    /// The object.
    public let location: ObjectLocation
    /// How it is read.
    public let options: CSVOptions

    /// A CSV table at `location`.
    public init(_ location: ObjectLocation, options: CSVOptions = CSVOptions()) {
        self.location = location
        self.options = options
    }

    /// The location as written.
    public var description: String { location.description }

    /// The header and the types of the first rows.
    public func schema() async throws(StorageError) -> Schema {
        try await chunks(rows: 1, columns: nil).schema
    }

    /// The object's bytes streamed through the CSV reader.
    public func chunks(rows: Int, columns: [String]?) async throws(StorageError) -> any TableChunks {
        var options = self.options
        if let columns { options.columns = columns }
        let stream = try location.reader()
        do {
            return CSVChunks(try CSVReader(options: options).chunks(stream: stream, rows: rows))
        } catch {
            throw StorageError(data: error)
        }
    }
}

/// The CSV reader's chunks as table chunks. Each chunk is parsed on a thread of its own (the parse waits on its
/// read-ahead and its parsing threads), never on the task pool's; one parse at a time.
final class CSVChunks: TableChunks {
    let reader: ThreadShared<CSVChunkReader>
    init(_ reader: CSVChunkReader) { self.reader = ThreadShared(reader) }
    var schema: Schema { reader.value.schema }
    var report: CSVReport { reader.value.report }
    func next() async throws(StorageError) -> DataFrame? {
        let reader = self.reader
        do {
            return try await BackgroundWork { () throws(DataError) -> DataFrame? in try reader.value.next() }.value()
        } catch {
            throw StorageError(data: error)
        }
    }
}

/// Writes a table as a CSV object, visible whole on commit.
public final class CSVTableSink: TableSink {
    private var writer: CSVWriter<ObjectWriterSink>
    private let object: any ObjectWriter

    /// A sink writing CSV (`delimiter`, missing values as `missing`) to `location`.
    public init(_ location: ObjectLocation, delimiter: UInt8 = UInt8(ascii: ","), missing: String = "") throws(StorageError) {
        object = try location.writer()
        writer = CSVWriter(sink: ObjectWriterSink(object), delimiter: delimiter, missingMarkers: [missing])
    }

    /// Adds rows.
    public func write(_ frame: DataFrame) async throws(StorageError) {
        do {
            try writer.write(frame)
        } catch {
            throw StorageError(data: error)
        }
    }

    /// Flushes and makes the object.
    public func commit() async throws(StorageError) {
        do {
            try writer.finish()
        } catch {
            throw StorageError(data: error)
        }
        try object.commit()
    }

    /// Drops the object.
    public func abort() async { object.abort() }
}

/// An object writer as the CSV writer's byte sink.
struct ObjectWriterSink: ByteSink {
    var writer: any ObjectWriter
    init(_ writer: any ObjectWriter) { self.writer = writer }
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws(DataError) { try writer.write(bytes) }
}

/// Opens tables by location: a registered scheme's (`sqlite://…`), or else a CSV object in an object store.
public enum TableSources {
    private static let schemes = Mutex<[String: any TableScheme]>([:])

    /// Adds (or replaces) the tables of a URL scheme.
    public static func register(_ scheme: any TableScheme) {
        schemes.withLock { $0[scheme.scheme] = scheme }
    }

    private static func table(_ location: String) -> (any TableScheme)? {
        guard let scheme = ObjectStores.scheme(of: location) else { return nil }
        return schemes.withLock { $0[scheme] }
    }

    /// The table at `location`; objects are read as CSV with `csv`.
    public static func source(_ location: String, csv: CSVOptions = CSVOptions()) throws(StorageError) -> any TableSource {
        if let scheme = table(location) { return try scheme.source(location) }
        return CSVTable(try ObjectStores.object(location), options: csv)
    }

    /// A sink for the table at `location`; objects are written as CSV.
    public static func sink(_ location: String, delimiter: UInt8 = UInt8(ascii: ","), missing: String = "") throws(StorageError)
        -> any TableSink
    {
        if let scheme = table(location) { return try scheme.sink(location) }
        return try CSVTableSink(try ObjectStores.object(location), delimiter: delimiter, missing: missing)
    }
}
