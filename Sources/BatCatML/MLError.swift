/// The error thrown by `BatCatML`: fitting, predicting, evaluating, artifacts and training specs.
///
/// Messages name the column or setting at fault and say what to do; they never quote row values.
///
/// ## Topics
/// - ``Code``
public struct MLError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Sendable {
            case invalidHyperparameter, invalidData, singularMatrix, diverged, schemaMismatch, unknownCategory
            case notConverged, invalidSpec, artifactCorrupt, artifactVersion, gateFailed, invalidSplit
        }

        private let value: Value

        /// A hyperparameter outside its allowed range.
        public static let invalidHyperparameter = Code(value: .invalidHyperparameter)
        /// Training data that cannot be fitted (text in a numeric feature, NaN in the target, too few rows).
        public static let invalidData = Code(value: .invalidData)
        /// The design matrix has dependent columns and the solver needs it to have full rank.
        public static let singularMatrix = Code(value: .singularMatrix)
        /// Gradient descent's loss grew without bound.
        public static let diverged = Code(value: .diverged)
        /// Input whose columns do not match the model's input schema.
        public static let schemaMismatch = Code(value: .schemaMismatch)
        /// A category not seen in training, under the `error` policy.
        public static let unknownCategory = Code(value: .unknownCategory)
        /// An iterative solver stopped before converging.
        public static let notConverged = Code(value: .notConverged)
        /// A training spec that is malformed or inconsistent.
        public static let invalidSpec = Code(value: .invalidSpec)
        /// An artifact whose bytes do not match its digest, or that is not an artifact.
        public static let artifactCorrupt = Code(value: .artifactCorrupt)
        /// An artifact of a format version this BatCat cannot read.
        public static let artifactVersion = Code(value: .artifactVersion)
        /// A model that does not pass its spec's gate.
        public static let gateFailed = Code(value: .gateFailed)
        /// A split or cross-validation that cannot be made from the data.
        public static let invalidSplit = Code(value: .invalidSplit)

        /// The code's name.
        public var description: String { value.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What failed, on which object.
    public let message: String
    /// What to do about it.
    public let hints: [String]
    /// The underlying error (a ``DataError`` of the frame or the reader), when there is one.
    public let cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, hints: [String] = [], cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.hints = hints
        self.cause = cause
    }

    /// The message followed by its hints.
    public var description: String {
        ([message] + hints.map { "hint: \($0)" }).joined(separator: "\n")
    }
}
