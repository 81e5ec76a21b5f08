/// The error thrown by `BatCatData`: reading and writing CSV, and operations on frames.
///
/// Messages name the file, line and column where one is known, and never quote row values
/// beyond the few characters needed to find the problem.
///
/// ## Topics
/// - ``Code``
public struct DataError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case io, malformedRow, fieldCount, typeMismatch, invalidText
            case unknownColumn, duplicateColumn, lengthMismatch, nonNumeric, missingValues, invalidArgument, emptyInput
        }

        private let value: Value

        /// A file or stream could not be opened, read or written.
        public static let io = Code(value: .io)
        /// A row breaks CSV's quoting rules (for example an unterminated quote).
        public static let malformedRow = Code(value: .malformedRow)
        /// A row has more or fewer fields than the header.
        public static let fieldCount = Code(value: .fieldCount)
        /// A value cannot be read as its column's type.
        public static let typeMismatch = Code(value: .typeMismatch)
        /// Bytes that are not valid UTF-8 text.
        public static let invalidText = Code(value: .invalidText)
        /// A column name that the frame does not have.
        public static let unknownColumn = Code(value: .unknownColumn)
        /// Two columns with the same name.
        public static let duplicateColumn = Code(value: .duplicateColumn)
        /// Columns or frames whose lengths or shapes do not fit together.
        public static let lengthMismatch = Code(value: .lengthMismatch)
        /// A column that must be numeric holds text.
        public static let nonNumeric = Code(value: .nonNumeric)
        /// A column that must be complete has missing values.
        public static let missingValues = Code(value: .missingValues)
        /// An argument outside its allowed range.
        public static let invalidArgument = Code(value: .invalidArgument)
        /// A file with no header and no rows.
        public static let emptyInput = Code(value: .emptyInput)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
    public let message: String
    /// What to do about it.
    public let hints: [String]

    /// Creates an error.
    public init(_ code: Code, _ message: String, hints: [String] = []) {
        self.code = code
        self.message = message
        self.hints = hints
    }

    /// The message followed by its hints.
    public var description: String {
        ([message] + hints.map { "hint: \($0)" }).joined(separator: "\n")
    }

    /// `no column named 'x'`, or `data.csv has no column named 'x'` when the file is known; suggests a close name.
    static func unknownColumn(_ name: String, in names: [String], file: String? = nil) -> DataError {
        let close = names.filter { $0.lowercased() == name.lowercased() || $0.hasPrefix(name) || name.hasPrefix($0) }
        var hints = ["the columns are: \(names.prefix(30).joined(separator: ", "))\(names.count > 30 ? ", …" : "")"]
        if let suggestion = close.first { hints.insert("did you mean '\(suggestion)'?", at: 0) }
        return DataError(.unknownColumn, "\(file.map { "\($0) has " } ?? "")no column named '\(name)'", hints: hints)
    }
}
