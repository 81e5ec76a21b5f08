import BatCatCore
import BatCatData

/// The error thrown by `BatCatStorage`: object keys, object stores and their I/O.
///
/// ## Topics
/// - ``Code``
public struct StorageError: ReportableError, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable { case notFound, invalidKey, io, unsupportedScheme, conditionFailed, invalidData }
        private let value: Value

        /// No object has that key.
        public static let notFound = Code(value: .notFound)
        /// A key that is empty, absolute, or would leave the store's root.
        public static let invalidKey = Code(value: .invalidKey)
        /// Reading or writing failed.
        public static let io = Code(value: .io)
        /// A store URL whose scheme this build cannot open.
        public static let unsupportedScheme = Code(value: .unsupportedScheme)

        /// A conditional put whose condition did not hold: the object was there, or had changed.
        public static let conditionFailed = Code(value: .conditionFailed)

        /// A table whose bytes could not be read as a table (bad CSV, wrong types).
        public static let invalidData = Code(value: .invalidData)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
    public let message: String
    /// What to do about it.
    public let hints: [String]
    /// The underlying error, when there is one (a ``DataError`` of the CSV reader, a system error).
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

    /// A data error met while reading or writing a table: its message and hints, kept as the cause.
    public init(data error: DataError) {
        self.init(error.code == .io ? .io : .invalidData, error.message, hints: error.hints, cause: error)
    }
}
