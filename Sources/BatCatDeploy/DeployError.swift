import BatCatCore

/// The error thrown by `BatCatDeploy`: scaffolding and deployment files.
///
/// ## Topics
/// - ``Code``
public struct DeployError: ReportableError, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidProjectName, folderNotEmpty, notAFolder, writeFailed
        }

        private let value: Value

        /// The project name has characters outside letters, digits, `-` and `_`.
        public static let invalidProjectName = Code(value: .invalidProjectName)
        /// The target folder exists and holds files, and `--force` was not given.
        public static let folderNotEmpty = Code(value: .folderNotEmpty)
        /// The target path exists and is a file.
        public static let notAFolder = Code(value: .notAFolder)
        /// A file or folder could not be created.
        public static let writeFailed = Code(value: .writeFailed)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
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
