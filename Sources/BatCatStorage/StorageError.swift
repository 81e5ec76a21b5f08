import BatCatCore

/// The error thrown by `BatCatStorage`: object keys, object stores and their I/O.
///
/// ## Topics
/// - ``Code``
public struct StorageError: ReportableError, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable { case notFound, invalidKey, io, unsupportedScheme }
        private let value: Value

        /// No object has that key.
        public static let notFound = Code(value: .notFound)
        /// A key that is empty, absolute, or would leave the store's root.
        public static let invalidKey = Code(value: .invalidKey)
        /// Reading or writing failed.
        public static let io = Code(value: .io)
        /// A store URL whose scheme this build cannot open.
        public static let unsupportedScheme = Code(value: .unsupportedScheme)

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
}
