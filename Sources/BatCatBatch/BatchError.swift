import BatCatCore

/// The error thrown by `BatCatBatch`.
public struct BatchError: ReportableError, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable { case badRow, schemaMismatch, missingInput, invalidUsage }
        private let value: Value

        /// A row that cannot be read or scored, with `--on-bad-rows stop`.
        public static let badRow = Code(value: .badRow)
        /// An input whose columns do not fit the model.
        public static let schemaMismatch = Code(value: .schemaMismatch)
        /// An input that does not exist.
        public static let missingInput = Code(value: .missingInput)
        /// Inputs and outputs that do not go together.
        public static let invalidUsage = Code(value: .invalidUsage)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which file and line.
    public let message: String
    /// What to do about it.
    public let hints: [String]
    /// The underlying error, when there is one.
    public let cause: (any Error & Sendable)?
    /// ``code``'s name.
    public var codeName: String { code.description }
    /// ``cause``.
    public var underlying: (any Error)? { cause }

    /// Creates an error.
    public init(_ code: Code, _ message: String, hints: [String] = [], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.hints = hints
        self.cause = cause
    }
}
