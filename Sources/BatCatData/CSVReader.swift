import Dispatch

/// Reads CSV into frames: all at once, or in chunks of a fixed number of rows in bounded memory.
///
/// ```swift
/// var options = CSVOptions()
/// options.columns = ["age", "bmi"]
/// let frame = try CSVReader(options: options).read(path: "patients.csv")
/// ```
///
/// Parsing is parallel across ``CSVOptions/threads`` for blocks without quotes; a block holding
/// quotes is parsed by one thread, because only a sequential scan knows where its records end.
///
/// ## Topics
/// - ``read(path:)``
/// - ``read(stream:)``
/// - ``chunks(stream:rows:)``
public struct CSVReader: Sendable {
    /// How files are read.
    public var options: CSVOptions

    /// Creates a reader.
    public init(options: CSVOptions = CSVOptions()) {
        self.options = options
    }

    /// Reads a whole file.
    public func read(path: String) throws(DataError) -> DataFrame {
        try readWithReport(stream: FileByteStream(path: path)).frame
    }

    /// Reads a whole stream.
    public func read(stream: some ByteStream) throws(DataError) -> DataFrame {
        try readWithReport(stream: stream).frame
    }

    /// Reads a whole text (handy in tests and examples).
    public func read(text: String, name: String = "<text>") throws(DataError) -> DataFrame {
        try read(stream: MemoryByteStream(text: text, name: name))
    }

    /// Reads a whole stream and reports skipped rows.
    public func readWithReport(stream: some ByteStream) throws(DataError) -> (frame: DataFrame, report: CSVReport) {
        let chunks = try CSVChunkReader(stream: stream, options: options, rows: Int.max)
        let frame = try chunks.next() ?? DataFrame()
        return (frame, chunks.report)
    }

    /// A reader that hands out frames of `rows` rows (the last may be shorter), holding at most one
    /// block and one chunk in memory.
    public func chunks(stream: some ByteStream, rows: Int) throws(DataError) -> CSVChunkReader {
        try CSVChunkReader(stream: stream, options: options, rows: rows)
    }

    /// The column names and inferred types of a file, from its first rows.
    public func schema(path: String) throws(DataError) -> Schema {
        try CSVChunkReader(stream: FileByteStream(path: path), options: options, rows: 1).schema
    }
}
