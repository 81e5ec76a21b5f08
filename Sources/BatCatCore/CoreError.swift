/// An error that a person can act on: what failed, on which object, and how to fix it; a code a program can
/// branch on; and the error underneath, when there is one.
///
/// Every BatCat module's error type conforms, so the command line renders them all the same way:
/// `error: <message>`, one `hint: <hint>` line per hint, then one `cause: …` line per underlying error whose
/// words the message does not already hold. Programs branch on ``codeName`` (or the type's `code`), never on
/// the message's text.
public protocol ReportableError: Error, CustomStringConvertible {
    /// One or two sentences saying what failed and on which object.
    var message: String { get }
    /// Suggestions that tell the reader what to do next.
    var hints: [String] { get }
    /// The kind of failure, as the type's code spells it (`notFound`).
    var codeName: String { get }
    /// The error underneath, when there is one.
    var underlying: (any Error)? { get }
}

extension ReportableError {
    /// No error underneath, unless the type says otherwise.
    public var underlying: (any Error)? { nil }

    /// The errors underneath, outermost first, as far as they go.
    public var causes: [any Error] {
        var chain: [any Error] = []
        var next = underlying
        while let error = next, chain.count < 8 {
            chain.append(error)
            next = (error as? any ReportableError)?.underlying
        }
        return chain
    }

    /// The message followed by its hints, one per line.
    public var description: String {
        ([message] + hints.map { "hint: \($0)" }).joined(separator: "\n")
    }
}

/// The error thrown by `BatCatCore`: configuration files, configuration values and logging.
///
/// ## Topics
/// - ``Code``
/// - ``message``
/// - ``hints``
/// - ``cause``
public struct CoreError: ReportableError, Sendable {
    /// What kind of failure this is, for programs that branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case configFileUnreadable
            case configSyntax
            case configStructure
            case configMissingKey
            case configWrongType
            case configOverlayMissing
            case configBadOverride
            case logFileUnwritable
            case fileUnwritable
        }

        private let value: Value

        /// A configuration file exists but could not be read.
        public static let configFileUnreadable = Code(value: .configFileUnreadable)
        /// A configuration file is not valid JSON or YAML.
        public static let configSyntax = Code(value: .configSyntax)
        /// A configuration file is valid but holds a shape BatCat does not accept (for example a mixed array).
        public static let configStructure = Code(value: .configStructure)
        /// A required configuration key has no value in any source.
        public static let configMissingKey = Code(value: .configMissingKey)
        /// A configuration value cannot be read as the type the program needs.
        public static let configWrongType = Code(value: .configWrongType)
        /// `BATCAT_ENV` names an environment whose overlay file does not exist.
        public static let configOverlayMissing = Code(value: .configOverlayMissing)
        /// A `--set key=value` override is malformed.
        public static let configBadOverride = Code(value: .configBadOverride)
        /// The log file cannot be opened for appending.
        public static let logFileUnwritable = Code(value: .logFileUnwritable)
        /// A file cannot be written.
        public static let fileUnwritable = Code(value: .fileUnwritable)

        /// The code's name, such as `configSyntax`.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
    public let message: String
    /// What to do about it.
    public let hints: [String]
    /// The underlying error, when there is one. Never holds credentials.
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
