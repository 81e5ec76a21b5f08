/// What to do with a row whose field count differs from the header's, or that holds a value its
/// column's type cannot read.
public enum BadLinePolicy: String, Sendable, CaseIterable {
    /// Stop with an error naming the file and line (the default).
    case error
    /// Leave the row out, record its line and the reason in the report, and go on.
    case skip
}

/// How a CSV file is read.
///
/// ## Topics
/// - ``hasHeader``
/// - ``delimiter``
/// - ``missingMarkers``
/// - ``types``
/// - ``columns``
/// - ``leftOut``
/// - ``onBadLines``
public struct CSVOptions: Sendable {
    /// Whether the first row holds the column names. Without a header, columns are named `column_1`, `column_2`, ….
    public var hasHeader: Bool = true
    /// The longest a row (a header or a record) may be, in bytes: a longer one is refused as soon as it is seen,
    /// naming its line, instead of being read whole (a file without line breaks would otherwise be read as one
    /// row). 16 MiB by default.
    public var maxRowBytes: Int = 16 << 20
    /// Whether a header that names a column twice is read with the later ones renamed (`x`, `x.1`, …); by default it
    /// is an error naming the duplicated names.
    public var renameDuplicates: Bool = false
    /// Without a header, the names of the columns in order (`column_N` for any past the end of the list).
    public var headerlessNames: [String] = []
    /// The byte between fields: `,` by default, `;`, `\t` or `|` are common.
    public var delimiter: UInt8 = UInt8(ascii: ",")
    /// Field texts that mean "missing": the empty field, `NA`, `NaN`, `null` and `?` by default.
    public var missingMarkers: [String] = ["", "NA", "NaN", "null", "?"]
    /// Column types given by name; these columns skip inference.
    public var types: [String: ColumnType] = [:]
    /// Read only these columns, in this order. `nil` reads them all.
    public var columns: [String]?
    /// Columns not to read (after ``columns`` chose); names the file does not have are ignored. Their
    /// fields are still checked for count and quoting, but not parsed or stored.
    public var leftOut: Set<String> = []
    /// What to do with rows of the wrong length.
    public var onBadLines: BadLinePolicy = .error
    /// How many rows type inference looks at.
    public var inferenceRows: Int = 1000
    /// Whether text columns that hold ISO-8601 dates are read as dates.
    public var parseDates: Bool = false
    /// How many threads parse in parallel.
    public var threads: Int = max(1, systemCoreCount())
    /// How many bytes are read and parsed at a time; memory use is a small multiple of this. 2 MiB: a
    /// block's bytes and its parsed columns stay in the processor's caches between the passes over them
    /// (alternating runs on the 200 MB benchmark file: 4 MiB → 2 MiB, `batcat score` 0.253 → 0.237 s,
    /// describe 461 → 427 ms of CPU; 1 MiB and 8 MiB were slower).
    public var blockSize: Int = 2 << 20
    /// The smallest stretch worth splitting between threads; below it one thread parses. Internal: the
    /// fuzz target lowers it so that small inputs take the parallel path too.
    var parallelMinimum: Int = 1 << 20

    /// Default options: a header, commas, the usual missing markers, inferred types.
    public init() {}

    /// Sets the delimiter from a character, which must be a single ASCII character other than `"`, CR or LF.
    public mutating func setDelimiter(_ character: Character) throws(DataError) {
        guard let ascii = character.asciiValue, ascii != UInt8(ascii: "\""), ascii != 0x0A, ascii != 0x0D else {
            throw DataError(
                .invalidArgument, "the delimiter '\(character)' is not allowed",
                hints: ["use a single ASCII character other than a quote or a line break, such as ',', ';', '|' or a tab"])
        }
        delimiter = ascii
    }
}

/// What a read found besides the data: rows skipped and where.
public struct CSVReport: Sendable, Equatable {
    /// A row left out under ``BadLinePolicy/skip``.
    public struct Reject: Sendable, Equatable {
        /// Its line in the file (1-based, the header is line 1).
        public var line: Int
        /// Why it was left out.
        public var reason: String
    }

    /// How many rows were left out under ``BadLinePolicy/skip``.
    public var skippedRows: Int = 0
    /// Line numbers of the first skipped rows (at most 20).
    public var skippedLines: [Int] = []
    /// Every row left out: its line and why.
    public var rejects: [Reject] = []
    /// How many data rows were read.
    public var rows: Int = 0
    /// How many bytes were read.
    public var bytes: Int = 0
}
