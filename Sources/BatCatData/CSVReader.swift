import Dispatch

/// Reads CSV into frames: all at once, or in chunks of a fixed number of rows in bounded memory.
///
/// ```swift
/// var options = CSVOptions()
/// options.columns = ["age", "bmi"]
/// let frame = try CSVReader(options: options).read(path: "patients.csv")
/// ```
///
/// Blocks of the input are parsed in parallel across ``CSVOptions/threads``, cut at line feeds outside
/// quotes; while one block is parsed, the next is read. A block whose quotes do not pair up as the
/// cuts assumed (a quote inside an unquoted field) is parsed again by one thread, so the result is
/// always what a sequential read gives.
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
