import BatCatCore

/// The error thrown by `BatCatRegistry`.
///
/// ## Topics
/// - ``Code``
public struct RegistryError: ReportableError, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case notFound, approvalRequired, invalidTransition, invalidArtifact, database, store, invalidName
        }
        private let value: Value

        /// No such model, version, stage holder or alias.
        public static let notFound = Code(value: .notFound)
        /// Promotion to production needs an approval first.
        public static let approvalRequired = Code(value: .approvalRequired)
        /// A stage change the lifecycle does not allow, or a rollback with nothing to roll back to.
        public static let invalidTransition = Code(value: .invalidTransition)
        /// Bytes that are not a valid artifact, or whose digest differs from the registered one.
        public static let invalidArtifact = Code(value: .invalidArtifact)
        /// The metadata database failed.
        public static let database = Code(value: .database)
        /// The artifact store failed.
        public static let store = Code(value: .store)
        /// A model name or alias outside letters, digits, '-', '_' and '.'.
        public static let invalidName = Code(value: .invalidName)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
    public let message: String
    /// What to do about it.
    public let hints: [String]
    /// The underlying error (the database's, the store's, the artifact's), when there is one.
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
