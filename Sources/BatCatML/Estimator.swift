import BatCatData

/// A class label, kept as given in the data: `2` and `4`, or `benign` and `malignant`.
public enum ClassLabel: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// A whole-number label.
    case int(Int)
    /// A text label.
    case string(String)

    /// The label as written.
    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .string(let value): value
        }
    }

    /// Integers before text; each ordered naturally.
    public static func < (lhs: ClassLabel, rhs: ClassLabel) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): a < b
        case (.string(let a), .string(let b)): a < b
        case (.int, .string): true
        case (.string, .int): false
        }
    }

    /// Encodes as a JSON number or string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }

    /// Decodes a JSON number or string.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    /// The label of a cell: integers (and doubles holding whole numbers) as `.int`, text as `.string`.
    public init?(_ cell: Cell) {
        switch cell {
        case .int(let value): self = .int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 1e15: self = .int(Int(value))
        case .string(let value): self = .string(value)
        case .bool(let value): self = .string(value ? "true" : "false")
        default: return nil
        }
    }
}

/// A regression estimator: hyperparameters only, all with defaults. ``fit(_:_:)`` returns the fitted model.
public protocol Regressor: Codable, Hashable, Sendable {
    /// The fitted model type, which cannot exist unfitted.
    associatedtype Fitted: FittedRegressor
    /// Fits to rows `x` and targets `y`; checks the hyperparameters first.
    func fit(_ x: Matrix, _ y: [Double]) throws(MLError) -> Fitted
}

/// A fitted regression model.
public protocol FittedRegressor: Codable, Equatable, Sendable {
    /// How many features a row must have.
    var featureCount: Int { get }
    /// The predicted value of every row of `x`.
    func predict(_ x: Matrix) throws(MLError) -> [Double]
}

/// A classification estimator: hyperparameters only, all with defaults.
public protocol Classifier: Codable, Hashable, Sendable {
    /// The fitted model type.
    associatedtype Fitted: FittedClassifier
    /// Fits to rows `x` and labels `y`; checks the hyperparameters first.
    func fit(_ x: Matrix, _ y: [ClassLabel]) throws(MLError) -> Fitted
}

/// A fitted classifier.
public protocol FittedClassifier: Codable, Equatable, Sendable {
    /// How many features a row must have.
    var featureCount: Int { get }
    /// The labels seen in training, sorted; columns of ``predictProbabilities(_:)`` follow this order.
    var classes: [ClassLabel] { get }
    /// The probability of each class for every row (rows × classes).
    func predictProbabilities(_ x: Matrix) throws(MLError) -> Matrix
}

extension FittedClassifier {
    /// The most probable label of every row (ties go to the earlier class).
    public func predict(_ x: Matrix) throws(MLError) -> [ClassLabel] {
        let probabilities = try predictProbabilities(x)
        return (0..<probabilities.rows).map { row in
            var best = 0
            for k in 1..<probabilities.columns where probabilities[row, k] > probabilities[row, best] { best = k }
            return classes[best]
        }
    }
}

/// Checks a matrix's width against what a model was fitted on.
func checkWidth(_ x: Matrix, _ expected: Int) throws(MLError) {
    guard x.columns == expected else {
        throw MLError(
            .schemaMismatch, "the model takes \(expected) features per row but got \(x.columns)",
            hints: ["pass the same feature columns, in the same order, as in training"])
    }
}

/// Checks training data common to every estimator: rows, and (unless `finite` is false, for the estimators
/// whose Gram sums find a missing or infinite value on their way) finite values.
func checkTrainingData(_ x: Design, targetCount: Int, finite: Bool = true) throws(MLError) {
    guard x.rows > 0 else { throw MLError(.invalidData, "there are no training rows", hints: ["check the data and the split"]) }
    guard targetCount == x.rows else {
        throw MLError(.invalidData, "there are \(x.rows) rows of features but \(targetCount) targets")
    }
    if finite, let (row, column) = x.firstNonFinite() { throw nonFiniteFeature(x, row: row, column: column) }
}

/// The error for a missing or infinite feature value in training data.
func nonFiniteFeature(_ x: Design, row: Int, column: Int) -> MLError {
    MLError(
        .invalidData, "feature \(x.describeColumn(column)) has a missing or infinite value in row \(row + 1)",
        hints: ["impute missing values (SimpleImputer) before the estimator"])
}
