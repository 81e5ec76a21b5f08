import BatCatData

/// What a model expects of each input feature, learned in training.
public struct FeatureSchema: Codable, Equatable, Sendable {
    /// The column's name.
    public var name: String
    /// Its type in training.
    public var type: ColumnType
    /// Whether training data had missing values in it.
    public var nullable: Bool
    /// The categories seen, for text columns (sorted; at most 1,000 are kept).
    public var categories: [String]?
    /// The smallest value seen, for numbers.
    public var minimum: Double?
    /// The largest value seen, for numbers.
    public var maximum: Double?

    /// The type to read this feature's column as from text (CSV files and bodies): text, booleans and dates as
    /// themselves, every number as a double.
    public var readingType: ColumnType {
        switch type {
        case .string, .bool, .date: type
        case .double, .int: .double
        }
    }
}

/// A fitted pipeline: input schema, fitted steps and fitted estimator. It checks its input on every prediction.
///
/// ## Topics
/// - ``predict(_:)``
/// - ``features``
public struct FittedPipeline: Codable, Equatable, Sendable {
    /// The input features, in the order rows give them.
    public var features: [FeatureSchema]
    /// The target column's name.
    public var target: String
    /// The class labels, for classifiers.
    public var classes: [ClassLabel]?
    /// For a binary classifier, the class that binary precision, recall, F1 and ROC AUC are about.
    public var positiveClass: ClassLabel?
    /// The fitted preprocessing steps, in order, with their names.
    public var steps: [NamedFittedStep]
    /// The names of the columns the estimator sees, after preprocessing.
    public var modelInputs: [String]
    /// The fitted estimator.
    public var model: FittedModel

    /// A named fitted step.
    public struct NamedFittedStep: Codable, Equatable, Sendable {
        /// The step's name.
        public var name: String
        /// The fitted step.
        public var step: FittedStep
    }

    /// Whether the model predicts classes.
    public var isClassifier: Bool { classes != nil }

    /// The feature names, in order.
    public var featureNames: [String] { features.map(\.name) }

    /// Predictions for every row of `frame`, which must hold every feature (other columns are ignored).
    public func predict(_ frame: DataFrame) throws(MLError) -> Predictions {
        try predict(design: try design(for: frame))
    }

    /// The estimator's input for `frame` (the features checked and conformed, the steps applied), in the layout
    /// the model predicts from: check a frame once and predict from what the check made.
    public func design(for frame: DataFrame) throws(MLError) -> Design {
        switch type(of: model.model).predictionLayout {
        case .columns: .columns(try inputColumns(for: frame), rows: frame.rowCount, names: modelInputs)
        case .matrix: .matrix(try matrix(for: frame))
        }
    }

    /// Predictions for a design made by ``design(for:)``.
    public func predict(design: Design) throws(MLError) -> Predictions {
        try model.model.predict(design)
    }

    /// The estimator's input matrix for `frame`: the features checked and conformed, the steps applied.
    public func matrix(for frame: DataFrame) throws(MLError) -> Matrix {
        let current = try transformed(frame)
        do {
            return try current.matrix(modelInputs)
        } catch {
            throw MLError(.invalidData, error.message, hints: error.hints, cause: error)
        }
    }

    /// The estimator's inputs for `frame` as one array per input column (see ``matrix(for:)``).
    public func inputColumns(for frame: DataFrame) throws(MLError) -> [[Double]] {
        let current = try transformed(frame)
        do {
            return try current.numericColumns(modelInputs)
        } catch {
            throw MLError(.invalidData, error.message, hints: error.hints, cause: error)
        }
    }

    /// The features of `frame` checked and conformed, the steps applied.
    private func transformed(_ frame: DataFrame) throws(MLError) -> DataFrame {
        var current = try conform(frame)
        for named in steps { current = try named.step.transform(current) }
        return current
    }

    /// The feature columns of `frame`, in schema order, with numeric columns as doubles and text as text.
    public func conform(_ frame: DataFrame) throws(MLError) -> DataFrame {
        try FittedPipeline.conform(frame, to: features)
    }

    /// The columns of `frame` that `features` name, in their order, checked and conformed to them.
    static func conform(_ frame: DataFrame, to features: [FeatureSchema]) throws(MLError) -> DataFrame {
        let featureNames = features.map(\.name)
        var columns: [Column] = []
        for feature in features {
            guard let column = frame[feature.name] else {
                throw MLError(
                    .schemaMismatch, "the input has no column '\(feature.name)', which the model needs",
                    hints: ["the model's features are: \(featureNames.joined(separator: ", "))"])
            }
            columns.append(try FittedPipeline.conform(column, to: feature))
        }
        // The first infinite value by row, then by feature order.
        var infinite: (row: Int, feature: String)?
        for column in columns {
            if let row = column.firstInfinite(), row < infinite?.row ?? .max { infinite = (row, column.name) }
        }
        if let infinite {
            throw MLError(
                .invalidData, "feature '\(infinite.feature)' is infinite in row \(infinite.row + 1)",
                hints: ["a model takes finite numbers only; fix or drop the row (a missing value may be imputed, an infinite one is not)"])
        }
        do {
            return try DataFrame(columns: columns)
        } catch {
            throw MLError(.invalidData, error.message, cause: error)
        }
    }

    static func conform(_ column: Column, to feature: FeatureSchema) throws(MLError) -> Column {
        switch feature.type {
        case .double, .int, .bool, .date:
            if column.type == .string {
                throw MLError(
                    .schemaMismatch, "column '\(feature.name)' holds text, but the model was trained on numbers in it",
                    hints: ["check the input's column order and values; a stray text value makes the whole column text"])
            }
            return column
        case .string:
            if column.type == .string { return column }
            return Column(column.name, strings: (0..<column.count).map { column.isMissing($0) ? nil : column.cell($0).description })
        }
    }

    /// The schema of a frame's features, as recorded in an artifact.
    static func schema(of frame: DataFrame, features: [String]) -> [FeatureSchema] {
        let columns = features.compactMap { frame[$0] }
        return LinearAlgebra.parallelMap(columns) { column in
            let name = column.name
            var schema = FeatureSchema(name: name, type: column.type, nullable: column.missing != nil)
            if column.type == .string {
                schema.categories = Array(column.sortedCategories.prefix(1000))
            } else if let doubles = column.doubles {
                var low = Double.infinity
                var high = -Double.infinity
                if column.missing == nil {
                    (low, high) = Statistics.range(doubles)
                } else {
                    for index in doubles.indices where !column.isMissing(index) {
                        low = min(low, doubles[index])
                        high = max(high, doubles[index])
                    }
                }
                if low <= high {
                    schema.minimum = low
                    schema.maximum = high
                }
            }
            return schema
        }
    }
}

/// A pipeline's predictions: values for regression, labels and probabilities for classification.
public struct Predictions: Sendable, Equatable {
    /// Predicted values (regression).
    public var values: [Double]?
    /// Predicted labels (classification).
    public var labels: [ClassLabel]?
    /// Class probabilities, rows × classes (classification).
    public var probabilities: Matrix?
    /// The classes, in the probabilities' column order.
    public var classes: [ClassLabel]?

    /// The number of rows predicted.
    public var count: Int { values?.count ?? labels?.count ?? 0 }

    /// The columns prediction files hold: `prediction` (numbers, or labels as given), then one
    /// `probability_<class>` per class for classifiers. With no rows, `classes` gives the columns' shape.
    public func outputColumns(classes fallback: [ClassLabel]? = nil) -> [Column] {
        if let values { return [Column("prediction", doubles: values)] }
        guard let labels else {
            guard let fallback else { return [Column("prediction", doubles: [Double]())] }
            return [Column("prediction", ints: [Int]())] + fallback.map { Column("probability_\($0)", doubles: [Double]()) }
        }
        var columns: [Column]
        if labels.allSatisfy({ if case .int = $0 { true } else { false } }) {
            let numbers: [Int] = labels.map { if case .int(let v) = $0 { v } else { 0 } }
            columns = [Column("prediction", ints: numbers)]
        } else {
            columns = [Column("prediction", strings: labels.map(\.description))]
        }
        if let matrix = probabilities, let classes {
            for (k, label) in classes.enumerated() {
                columns.append(Column("probability_\(label)", doubles: (0..<matrix.rows).map { matrix[$0, k] }))
            }
        }
        return columns
    }

    /// Creates predictions.
    public init(values: [Double]? = nil, labels: [ClassLabel]? = nil, probabilities: Matrix? = nil, classes: [ClassLabel]? = nil) {
        self.values = values
        self.labels = labels
        self.probabilities = probabilities
        self.classes = classes
    }
}

/// Preprocessing steps and an estimator, by name: the unfitted form of ``FittedPipeline``.
public struct Pipeline: Codable, Hashable, Sendable {
    /// A named step.
    public struct NamedStep: Codable, Hashable, Sendable {
        /// The step's name.
        public var name: String
        /// The step.
        public var step: PreprocessingStep

        /// Creates a named step.
        public init(_ name: String, _ step: PreprocessingStep) {
            self.name = name
            self.step = step
        }
    }

    /// The preprocessing steps, in order.
    public var steps: [NamedStep]
    /// The estimator.
    public var estimator: EstimatorChoice

    /// Creates a pipeline.
    public init(steps: [NamedStep] = [], estimator: EstimatorChoice) {
        self.steps = steps
        self.estimator = estimator
    }

    /// Fits the steps in order on the `features` of `frame`, then the estimator on the result and `target`.
    public func fit(_ frame: DataFrame, features: [String], target: String) throws(MLError) -> FittedPipeline {
        let schema = FittedPipeline.schema(of: frame, features: features)
        var current = try FittedPipeline.conform(frame, to: schema)
        var fittedSteps: [FittedPipeline.NamedFittedStep] = []
        for named in steps {
            let fitted: FittedStep
            do {
                fitted = try named.step.fit(current)
            } catch {
                throw MLError(error.code, "step '\(named.name)': \(error.message)", hints: error.hints)
            }
            current = try fitted.transform(current)
            fittedSteps.append(.init(name: named.name, step: fitted))
        }
        // Least-squares models read the columns as they are; others take a matrix.
        let x: Design
        do {
            switch type(of: estimator.kind).trainingLayout {
            case .matrix: x = .matrix(try current.matrix())
            case .columns: x = .columns(try current.numericColumns(), rows: current.rowCount, names: current.columnNames)
            }
        } catch {
            throw MLError(
                .invalidData, error.message,
                hints: error.code == .nonNumeric ? ["add a oneHotEncoder or ordinalEncoder step for text features"] : error.hints,
                cause: error)
        }
        guard let targetColumn = frame[target] else {
            throw MLError(
                .invalidData, "there is no target column '\(target)'",
                hints: ["the columns are: \(frame.columnNames.joined(separator: ", "))"])
        }
        let values: TrainingTarget =
            estimator.isClassifier ? .labels(try Pipeline.labels(targetColumn)) : .values(try Pipeline.numericTarget(targetColumn))
        let model = try estimator.kind.fitModel(x, target: values)
        return FittedPipeline(
            features: schema, target: target, classes: model.model.classLabels, steps: fittedSteps, modelInputs: current.columnNames,
            model: model)
    }

    /// The target as numbers; a missing or text value is an error naming the row.
    static func numericTarget(_ column: Column) throws(MLError) -> [Double] {
        guard let values = column.doubles else {
            throw MLError(
                .invalidData, "the target '\(column.name)' holds text, so it cannot be regressed on",
                hints: ["use logisticRegression to predict categories, or fix the column"])
        }
        // Without missing values, one vectorised pass (see `Design.firstNonFinite(in:)`).
        let row: Int?
        if column.missing == nil {
            row = Design.firstNonFinite(in: values)
        } else {
            row = values.indices.first { column.isMissing($0) || !values[$0].isFinite }
        }
        if let row {
            throw MLError(
                .invalidData, "the target '\(column.name)' is missing or not finite in row \(row + 1)",
                hints: ["drop rows whose target is missing before training"])
        }
        return values
    }

    /// The target as class labels; a missing value is an error naming the row.
    static func labels(_ column: Column) throws(MLError) -> [ClassLabel] {
        var labels: [ClassLabel] = []
        labels.reserveCapacity(column.count)
        for row in 0..<column.count {
            guard let label = ClassLabel(column.cell(row)) else {
                throw MLError(
                    .invalidData, "the target '\(column.name)' is missing or not a class label in row \(row + 1)",
                    hints: ["drop rows whose target is missing; class labels are whole numbers or text"])
            }
            labels.append(label)
        }
        return labels
    }
}
