import BatCatData
import Synchronization

/// How an estimator reads its training rows and a fitted model its inputs.
public enum InputLayout: Sendable {
    /// The columns of the frame as they are (no copy): for models that need only sums over rows.
    case columns
    /// One row-major matrix.
    case matrix
}

/// What an estimator is fitted to: numbers for a regressor, class labels for a classifier.
public enum TrainingTarget: Sendable {
    /// Regression targets.
    case values([Double])
    /// Class labels.
    case labels([ClassLabel])

    /// The numbers, or an error for a classifier's labels.
    public func values(for estimator: String) throws(MLError) -> [Double] {
        guard case .values(let values) = self else {
            throw MLError(.invalidSpec, "\(estimator) is a regressor but was given class labels")
        }
        return values
    }

    /// The labels, or an error for a regressor's numbers.
    public func labels(for estimator: String) throws(MLError) -> [ClassLabel] {
        guard case .labels(let labels) = self else {
            throw MLError(.invalidSpec, "\(estimator) is a classifier but was given numbers to regress on")
        }
        return labels
    }
}

/// A kind of estimator, as a spec names it: its settings (decoded from the spec's `estimator:` object, all
/// with defaults) and how it fits. Adding an estimator is one type conforming to this (its fitted model
/// conforming to ``TrainedModel``) and one ``Estimators/register(_:)`` call (built-in kinds are listed in
/// ``Estimators``): spec decoding, artifacts, serving, `model inspect` and the documented list come from there.
public protocol EstimatorKind: Codable, Hashable, Sendable {
    /// The fitted model this kind makes.
    associatedtype Model: TrainedModel
    /// The `type` a spec writes: `ridge`.
    static var typeName: String { get }
    /// One line for the list of estimators.
    static var summary: String { get }
    /// Its settings with their defaults, as the documentation's table lists them: `` `alpha` (1), `fitIntercept` ``.
    static var settingsSummary: String { get }
    /// Whether it predicts classes (the target is read as labels) rather than values.
    static var predictsClasses: Bool { get }
    /// How it reads its training rows.
    static var trainingLayout: InputLayout { get }
    /// The type with what tells its variants apart, for messages: `logisticRegression (lbfgs)`.
    var specName: String { get }
    /// The type with its main settings, for reports: `logistic-regression (lbfgs, C 1.0)`.
    var label: String { get }
    /// Fits to the rows `x` and `target`; checks the settings first.
    func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Model
}

/// A fitted estimator, as artifacts store it.
public protocol TrainedModel: Codable, Equatable, Sendable {
    /// The `type` written in artifacts: `linear`. Kinds that fit the same model share it.
    static var modelTypeName: String { get }
    /// How it reads the rows it predicts.
    static var predictionLayout: InputLayout { get }
    /// How many features a row must have.
    var featureCount: Int { get }
    /// The labels seen in training, sorted, for classifiers; `nil` for regressors.
    var classLabels: [ClassLabel]? { get }
    /// Whether the optimiser converged, for iterative estimators; `nil` otherwise.
    var convergence: Convergence? { get }
    /// The predictions for every row of `x`.
    func predict(_ x: Design) throws(MLError) -> Predictions
    /// The model as straight-line arithmetic on one row, for the compiled serving path; `nil` serves
    /// through the frame path.
    var rowFormula: CompiledPipeline.Formula? { get }
    /// What of the training data the model keeps, for `inspect` (`the 150 training rows × 4 features …`); `nil`
    /// when it keeps only fitted parameters.
    var storedData: String? { get }
}

extension TrainedModel {
    public var convergence: Convergence? { nil }
    public var rowFormula: CompiledPipeline.Formula? { nil }
    public var storedData: String? { nil }
}

extension EstimatorKind {
    /// Fits and wraps the model for a pipeline.
    func fitModel(_ x: Design, target: TrainingTarget) throws(MLError) -> FittedModel {
        FittedModel(try fit(x, target: target))
    }
}

/// The estimator kinds BatCat knows, by the names specs and artifacts use.
///
/// The built-in kinds are the list below; a library user (or a test) adds one with ``register(_:)``.
public enum Estimators {
    /// The built-in kinds: one line each.
    public static let builtIn: [any EstimatorKind.Type] = [
        LinearRegression.self,
        Ridge.self,
        Lasso.self,
        LogisticRegression.self,
        KNeighborsClassifier.self,
        KNeighborsRegressor.self,
    ]

    private struct Table {
        var kinds: [any EstimatorKind.Type] = []
        var models: [String: any TrainedModel.Type] = [:]

        mutating func add(_ kind: any EstimatorKind.Type) {
            kinds.removeAll { $0.typeName == kind.typeName }
            kinds.append(kind)
            let model = kind.modelType
            models[model.modelTypeName] = model
        }
    }

    private static let table: Mutex<Table> = {
        var table = Table()
        for kind in builtIn { table.add(kind) }
        return Mutex(table)
    }()

    /// Adds (or replaces, by ``EstimatorKind/typeName``) a kind, so specs can name it and artifacts hold it.
    public static func register(_ kind: any EstimatorKind.Type) {
        table.withLock { $0.add(kind) }
    }

    /// Every kind, in registration order.
    public static var kinds: [any EstimatorKind.Type] { table.withLock { $0.kinds } }

    /// The `type` names specs can use.
    public static var typeNames: [String] { kinds.map { $0.typeName } }

    /// The documentation's table of estimators, one row per kind (the README holds this text; a test checks it).
    public static func markdownTable(of kinds: [any EstimatorKind.Type] = Estimators.kinds) -> String {
        var lines = ["| estimator `type` | settings (defaults) |", "| --- | --- |"]
        for kind in kinds { lines.append("| `\(kind.typeName)` | \(kind.settingsSummary) |") }
        return lines.joined(separator: "\n")
    }

    /// One line per kind, for `--help`: `ridge: least squares with an L2 penalty (alpha)`.
    public static func helpList() -> String {
        kinds.map { "  \($0.typeName): \($0.summary)" }.joined(separator: "\n")
    }

    /// The kind a spec names.
    public static func kind(named name: String) -> (any EstimatorKind.Type)? {
        table.withLock { table in table.kinds.first { $0.typeName == name } }
    }

    /// The fitted model type an artifact names.
    static func modelType(named name: String) -> (any TrainedModel.Type)? {
        table.withLock { $0.models[name] }
    }
}

extension EstimatorKind {
    fileprivate static var modelType: any TrainedModel.Type { Model.self }
}

/// The estimator at the end of a pipeline, written as `{"type": "logisticRegression", …settings}`.
public struct EstimatorChoice: Codable, Hashable, Sendable {
    /// The estimator's settings.
    public let kind: any EstimatorKind

    /// Wraps an estimator.
    public init(_ kind: some EstimatorKind) {
        self.kind = kind
    }

    /// The estimator's `type` with its variant, for messages.
    public var typeName: String { kind.specName }

    /// The type with its main settings, for reports.
    public var label: String { kind.label }

    /// Whether the estimator predicts classes.
    public var isClassifier: Bool { type(of: kind).predictsClasses }

    /// The settings as a given kind, or `nil` when the estimator is of another kind.
    public func `as`<Kind: EstimatorKind>(_: Kind.Type) -> Kind? { kind as? Kind }

    public static func == (lhs: EstimatorChoice, rhs: EstimatorChoice) -> Bool {
        AnyHashable(lhs.kind) == AnyHashable(rhs.kind)
    }

    public func hash(into hasher: inout Hasher) {
        AnyHashable(kind).hash(into: &hasher)
    }

    private enum TypeKey: String, CodingKey { case type }

    /// Decodes `{"type": …, …}` through the registered kinds.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        let name = try container.decode(String.self, forKey: .type)
        guard let kind = Estimators.kind(named: name) else {
            let names = Estimators.typeNames
            let suggestion = Suggestion.nearest(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
            throw DecodingError.dataCorruptedError(
                forKey: TypeKey.type, in: container,
                debugDescription: "unknown estimator type '\(name)'\(suggestion); the types are: \(names.joined(separator: ", "))")
        }
        self.kind = try kind.init(from: decoder)
    }

    /// Encodes with a `type`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type(of: kind).typeName, forKey: .type)
        try kind.encode(to: encoder)
    }
}

/// A fitted estimator, as stored in artifacts: `{"type": "linear", …}`.
public struct FittedModel: Codable, Equatable, Sendable {
    /// The fitted model.
    public let model: any TrainedModel

    /// Wraps a fitted model.
    public init(_ model: some TrainedModel) {
        self.model = model
    }

    /// The model as a given type, or `nil` when it is of another type.
    public func `as`<Model: TrainedModel>(_: Model.Type) -> Model? { model as? Model }

    /// Whether the optimiser converged, for iterative estimators (lasso, logistic regression); `nil` otherwise.
    public var convergence: Convergence? { model.convergence }

    public static func == (lhs: FittedModel, rhs: FittedModel) -> Bool {
        func equal<Model: TrainedModel>(_ left: Model, _ right: any TrainedModel) -> Bool { left == right as? Model }
        return equal(lhs.model, rhs.model)
    }

    private enum TypeKey: String, CodingKey { case type }

    /// Decodes `{"type": …, …}` through the registered model types.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        let name = try container.decode(String.self, forKey: .type)
        guard let type = Estimators.modelType(named: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: TypeKey.type, in: container,
                debugDescription: "unknown model type '\(name)': this BatCat knows \(Set(Estimators.kinds.map { $0.modelType.modelTypeName }).sorted().joined(separator: ", "))")
        }
        self.model = try type.init(from: decoder)
    }

    /// Encodes with a `type`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(type(of: model).modelTypeName, forKey: .type)
        try model.encode(to: encoder)
    }
}
