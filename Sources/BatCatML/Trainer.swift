import BatCatData

/// What the caller supplies to a training run besides the spec and data.
public struct TrainingOptions: Sendable {
    /// The BatCat version recorded in the artifact.
    public var version: String
    /// Makes the hasher for the training-data fingerprint (SHA-256); the default is ``SHA256Hasher``.
    public var makeHasher: @Sendable () -> any ByteHasher
    /// Told each step as it starts: `fitting`, `evaluating`, ….
    public var progress: @Sendable (String) -> Void

    /// Creates options.
    public init(
        version: String, makeHasher: @escaping @Sendable () -> any ByteHasher = { SHA256Hasher() },
        progress: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.version = version
        self.makeHasher = makeHasher
        self.progress = progress
    }
}

/// The outcome of a training run.
public struct TrainingResult: Sendable {
    /// The artifact (written only when the gate passes).
    public var artifact: ModelArtifact
    /// Each gate condition with its metric value and whether it passed.
    public var gate: [(condition: GateCondition, value: Double, passed: Bool)]
    /// Whether every gate condition passed.
    public var passed: Bool { gate.allSatisfy(\.passed) }
    /// Cross-validation: each metric's mean and standard deviation over the folds.
    public var crossValidation: [String: (mean: Double, std: Double)]?
    /// Things the user should know that did not stop the run: classes the model never saw, an optimiser that
    /// did not converge. Whole sentences.
    public var warnings: [String] = []
    /// Metrics asked for that could not be computed, with the reason.
    public var unavailable: [String: String] = [:]
    /// Whether and how the estimator's optimiser converged, for iterative estimators.
    public var convergence: Convergence?
}

/// What ``Trainer/evaluate(_:on:)`` finds.
public struct Evaluation: Sendable {
    /// Every metric that could be computed.
    public var metrics: [String: Double]
    /// Metrics that could not be computed, with the reason (log loss against a class the model never saw).
    public var unavailable: [String: String] = [:]
    /// The confusion matrix, for classifiers: rows true class, columns predicted, over ``classes``.
    public var confusion: [[Int]]?
    /// The classes of the confusion matrix: the model's, and any class of the data the model never saw.
    public var classes: [ClassLabel]?
    /// Classes in the data that the model never saw, with their row counts (each such row is a miss).
    public var unseenClasses: [(label: ClassLabel, rows: Int)] = []

    /// One warning per unseen class, naming it and its row count.
    public var warnings: [String] {
        guard !unseenClasses.isEmpty else { return [] }
        let named = unseenClasses.map { "'\($0.label)' (\($0.rows) row\($0.rows == 1 ? "" : "s"))" }.joined(separator: ", ")
        return [
            "the evaluation rows hold class\(unseenClasses.count == 1 ? "" : "es") \(named) that the training rows do not: "
                + "each such row counts as a miss, and \(unavailable.keys.sorted().joined(separator: " and ")) cannot be computed"
        ]
    }
}

/// Runs a ``TrainingSpec`` on a frame: split, fit, evaluate, gate, and build the artifact.
public enum Trainer {
    /// The metrics each task reports by default.
    public static let regressionMetrics = ["r2", "mse", "rmse", "mae", "explained_variance"]
    /// The metrics each task reports by default.
    public static let classificationMetrics = [
        "accuracy", "precision", "recall", "f1", "precision_macro", "recall_macro", "f1_macro", "precision_weighted", "recall_weighted",
        "f1_weighted", "roc_auc", "log_loss",
    ]

    /// Trains as the spec says. The gate's outcome is in the result; the caller decides to write or not.
    public static func train(_ spec: TrainingSpec, frame: DataFrame, options: TrainingOptions) throws(MLError) -> TrainingResult {
        guard frame.rowCount > 0 else {
            throw MLError(
                .invalidData, "the data (\(spec.data)) has no rows", hints: ["check the file: it holds a header and no records"])
        }
        guard frame[spec.target] != nil else {
            throw MLError(
                .invalidSpec, "the target column '\(spec.target)' is not in the data",
                hints: ["the columns are: \(frame.columnNames.joined(separator: ", "))"])
        }
        let excluded = Set((spec.exclude ?? []) + [spec.target])
        // `exclude` removes columns from the listed features too.
        let features = (spec.features ?? frame.columnNames).filter { !excluded.contains($0) || ($0 == spec.target && spec.features != nil) }
        guard !features.isEmpty else {
            throw MLError(
                .invalidSpec,
                spec.features == nil
                    ? "the spec leaves no feature columns: every column is the target or excluded"
                    : "the spec leaves no feature columns: every column under features is also under exclude",
                hints: ["list the features under features, and only the columns to leave out under exclude"])
        }
        for name in features + (spec.exclude ?? []) where frame[name] == nil {
            throw MLError(
                .invalidSpec, "the spec names a column '\(name)' that is not in the data",
                hints: ["the columns are: \(frame.columnNames.joined(separator: ", "))"])
        }
        if features.contains(spec.target) {
            throw MLError(.invalidSpec, "the target '\(spec.target)' is also listed as a feature", hints: ["remove it from features"])
        }
        let classifier = spec.estimator.isClassifier
        let metricNames = spec.metrics ?? (classifier ? classificationMetrics : regressionMetrics)
        let known = classifier ? classificationMetrics : regressionMetrics
        for name in metricNames where !known.contains(name) {
            throw MLError(
                .invalidSpec, "'\(name)' is not a \(classifier ? "classification" : "regression") metric",
                hints: ["the metrics are: \(known.joined(separator: ", "))"])
        }
        var conditions: [GateCondition] = []
        for text in spec.gate {
            let condition = try GateCondition(parsing: text)
            guard known.contains(condition.metric) else {
                throw MLError(
                    .invalidSpec,
                    "the gate '\(text)' names '\(condition.metric)', which is not a \(classifier ? "classification" : "regression") metric",
                    hints: ["the metrics are: \(known.joined(separator: ", "))"])
            }
            conditions.append(condition)
        }
        let used = try selecting(frame, features + [spec.target])
        if classifier { try checkClassTarget(used[spec.target], spec: spec) }

        // The fingerprint hashes all the data, in chunks on every core: it runs beside the fit and evaluation.
        options.progress("fingerprinting \(used.rowCount) rows in the background")
        let fingerprinting = BackgroundWork { () -> String in Trainer.fingerprint(used, makeHasher: options.makeHasher)
        }

        let split = try makeSplit(spec, used)
        let trainFrame = split.map { used.gathering($0.train) } ?? used
        let testFrame = split.map { used.gathering($0.test) } ?? used

        let pipeline = Pipeline(steps: spec.preprocessing, estimator: spec.estimator)
        options.progress("fitting on \(trainFrame.rowCount) rows")
        var fitted = try pipeline.fit(trainFrame, features: features, target: spec.target)
        fitted.positiveClass = try positiveClass(spec, classes: fitted.classes)
        var warnings: [String] = []
        let convergence = fitted.model.convergence
        if let convergence, !convergence.converged {
            let sentence = convergence.summary(estimator: spec.estimator.typeName)
            if spec.requireConvergence == true {
                throw MLError(
                    .notConverged, sentence,
                    hints: ["raise maxIterations, scale the features (standardScaler), or drop requireConvergence from the spec"])
            }
            warnings.append(sentence)
        }

        options.progress("evaluating on \(testFrame.rowCount) rows")
        let evaluation = try evaluate(fitted, on: testFrame)
        let allMetrics = evaluation.metrics
        let metrics = allMetrics.filter { metricNames.contains($0.key) }
        warnings += evaluation.warnings

        var crossValidation: [String: (mean: Double, std: Double)]?
        if let folds = spec.crossValidation {
            options.progress("cross-validating with \(folds) folds")
            crossValidation = try crossValidate(
                pipeline, trainFrame, features: features, target: spec.target, folds: folds, seed: spec.seed,
                positive: fitted.positiveClass
            )
            .filter { metricNames.contains($0.key) }
        }

        let gate = conditions.map { condition -> (GateCondition, Double, Bool) in
            let value = allMetrics[condition.metric] ?? .nan
            return (condition, value, value.isFinite && condition.passes(value))
        }
        options.progress("waiting for the fingerprint")
        let dataFingerprint = fingerprinting.value()
        let artifact = ModelArtifact(
            batcatVersion: options.version, name: spec.name, task: classifier ? "classification" : "regression", pipeline: fitted,
            hyperparameters: pipeline, metrics: metrics, confusionMatrix: evaluation.confusion,
            training: .init(
                dataFingerprint: dataFingerprint, rows: used.rowCount, trainRows: trainFrame.rowCount,
                testRows: split == nil ? 0 : testFrame.rowCount,
                seed: spec.seed, split: describe(spec.split)))
        var result = TrainingResult(artifact: artifact, gate: gate, crossValidation: crossValidation)
        result.artifact.confusionClasses = evaluation.classes == fitted.classes ? nil : evaluation.classes
        result.warnings = warnings
        result.unavailable = evaluation.unavailable.filter { metricNames.contains($0.key) }
        result.convergence = convergence
        return result
    }

    /// A classifier's target must hold class labels, and not so many that it is surely a number to regress on.
    static func checkClassTarget(_ column: Column?, spec: TrainingSpec) throws(MLError) {
        guard let column else { return }
        if let doubles = column.doubles, column.type == .double {
            if let row = doubles.indices.first(where: { !column.isMissing($0) && doubles[$0].rounded() != doubles[$0] }) {
                throw MLError(
                    .invalidSpec,
                    "the target '\(column.name)' holds numbers that are not whole (row \(row + 1) is one), so \(spec.estimator.typeName) "
                        + "cannot take them as classes",
                    hints: ["to predict a number, use a regressor: linearRegression, ridge or lasso"])
            }
        }
        let limit = spec.maxClasses ?? 100
        let distinct: Int
        if column.type == .string {
            distinct = column.textCounts.count
        } else {
            let numbers = column.doubles ?? []
            var seen = Set<Double>()
            for row in numbers.indices where !column.isMissing(row) { seen.insert(numbers[row]) }
            distinct = seen.count
        }
        if distinct > limit {
            throw MLError(
                .invalidSpec,
                "the target '\(column.name)' has \(distinct) distinct values, more than the \(limit) classes a classifier takes by default",
                hints: [
                    "to predict a number, use a regressor: linearRegression, ridge or lasso",
                    "to train a classifier with that many classes on purpose, set maxClasses: \(distinct) in the spec",
                ])
        }
    }

    /// The positive class of a binary classifier: the spec's `positiveClass`, else as scikit-learn: the label 1,
    /// then `true`, then the greater label.
    static func positiveClass(_ spec: TrainingSpec, classes: [ClassLabel]?) throws(MLError) -> ClassLabel? {
        guard let classes else {
            if spec.positiveClass != nil {
                throw MLError(.invalidSpec, "positiveClass is set, but \(spec.estimator.typeName) is not a classifier", hints: ["remove it"])
            }
            return nil
        }
        if let wanted = spec.positiveClass {
            guard classes.count == 2 else {
                throw MLError(
                    .invalidSpec, "positiveClass is set, but the target has \(classes.count) classes, not two",
                    hints: ["remove it: metrics of more classes are macro averages, which have no positive class"])
            }
            guard let match = classes.first(where: { $0.description == wanted }) else {
                throw MLError(
                    .invalidSpec, "positiveClass '\(wanted)' is not a class of the target",
                    hints: ["the classes are: \(classes.map(\.description).joined(separator: ", "))"])
            }
            return match
        }
        guard classes.count == 2 else { return nil }
        if classes.contains(.int(1)) { return .int(1) }
        if let yes = classes.first(where: { $0.description.lowercased() == "true" }) { return yes }
        return classes[1]
    }

    /// Every metric that applies, on `frame` (which must hold the features and the target).
    ///
    /// Every row counts: a row of a class the model never saw is a miss, the per-class scores run over the
    /// model's classes and the unseen ones (as scikit-learn's with `labels=` their union), and log loss and
    /// ROC AUC, which need a probability for each true class, are reported in ``Evaluation/unavailable``.
    public static func evaluate(_ fitted: FittedPipeline, on frame: DataFrame) throws(MLError) -> Evaluation {
        guard let targetColumn = frame[fitted.target] else {
            throw MLError(.schemaMismatch, "the data has no target column '\(fitted.target)' to evaluate against")
        }
        let predictions = try fitted.predict(frame)
        if let values = predictions.values {
            let truth = try Pipeline.numericTarget(targetColumn)
            return Evaluation(metrics: [
                "r2": RegressionMetrics.r2(truth, values), "mse": RegressionMetrics.meanSquaredError(truth, values),
                "rmse": RegressionMetrics.rootMeanSquaredError(truth, values),
                "mae": RegressionMetrics.meanAbsoluteError(truth, values),
                "explained_variance": RegressionMetrics.explainedVariance(truth, values),
            ])
        }
        let truth = try Pipeline.labels(targetColumn)
        let labels = predictions.labels ?? []
        let modelClasses = predictions.classes ?? []
        let known = Set(modelClasses)
        var unseenCounts: [ClassLabel: Int] = [:]
        for label in truth where !known.contains(label) { unseenCounts[label, default: 0] += 1 }
        let classes = unseenCounts.isEmpty ? modelClasses : (modelClasses + unseenCounts.keys).sorted()
        let probabilities = predictions.probabilities.map { p in (0..<p.rows).map { row in (0..<p.columns).map { p[row, $0] } } } ?? []
        let binary = classes.count == 2
        let positive = binary ? fitted.positiveClass : nil
        let averaging: Averaging = binary ? .binary : .macro
        var metrics: [String: Double] = [
            "accuracy": ClassificationMetrics.accuracy(truth, labels),
            "precision": ClassificationMetrics.precision(truth, labels, classes: classes, averaging: averaging, positive: positive),
            "recall": ClassificationMetrics.recall(truth, labels, classes: classes, averaging: averaging, positive: positive),
            "f1": ClassificationMetrics.f1(truth, labels, classes: classes, averaging: averaging, positive: positive),
        ]
        for averaging in [Averaging.macro, .weighted] {
            metrics["precision_\(averaging.rawValue)"] = ClassificationMetrics.precision(
                truth, labels, classes: classes, averaging: averaging)
            metrics["recall_\(averaging.rawValue)"] = ClassificationMetrics.recall(truth, labels, classes: classes, averaging: averaging)
            metrics["f1_\(averaging.rawValue)"] = ClassificationMetrics.f1(truth, labels, classes: classes, averaging: averaging)
        }
        var unavailable: [String: String] = [:]
        if unseenCounts.isEmpty {
            if let loss = ClassificationMetrics.logLoss(truth, probabilities: probabilities, classes: modelClasses) { metrics["log_loss"] = loss }
            if let auc = ClassificationMetrics.rocAUC(truth, probabilities: probabilities, classes: modelClasses, positive: positive) {
                metrics["roc_auc"] = auc
            } else {
                unavailable["roc_auc"] = "the evaluation rows do not hold every class"
            }
        } else {
            let reason = "the evaluation rows hold classes the model never saw, so it gave them no probability"
            unavailable["log_loss"] = reason
            unavailable["roc_auc"] = reason
        }
        return Evaluation(
            metrics: metrics, unavailable: unavailable, confusion: ClassificationMetrics.confusionMatrix(truth, labels, classes: classes),
            classes: classes, unseenClasses: unseenCounts.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
    }

    static func crossValidate(
        _ pipeline: Pipeline, _ frame: DataFrame, features: [String], target: String, folds: Int, seed: UInt64,
        positive: ClassLabel? = nil
    ) throws(MLError) -> [String: (mean: Double, std: Double)] {
        let splits: [Split]
        if pipeline.estimator.isClassifier, let column = frame[target] {
            splits = try ModelSelection.stratifiedKFold(labels: try Pipeline.labels(column), folds: folds, seed: seed)
        } else {
            splits = try ModelSelection.kFold(rows: frame.rowCount, folds: folds, seed: seed)
        }
        var collected: [String: [Double]] = [:]
        for split in splits {
            var fitted = try pipeline.fit(frame.gathering(split.train), features: features, target: target)
            fitted.positiveClass = positive
            for (name, value) in try evaluate(fitted, on: frame.gathering(split.test)).metrics {
                collected[name, default: []].append(value)
            }
        }
        return collected.mapValues { values in (Statistics.mean(values), Statistics.standardDeviation(values) ?? 0) }
    }

    static func makeSplit(_ spec: TrainingSpec, _ frame: DataFrame) throws(MLError) -> Split? {
        guard let split = spec.split else { return nil }
        switch split.method {
        case .random: return try ModelSelection.randomSplit(rows: frame.rowCount, testSize: split.test, seed: spec.seed)
        case .ordered: return try ModelSelection.orderedSplit(rows: frame.rowCount, testSize: split.test, testAtStart: split.testAtStart)
        case .stratified:
            guard let column = frame[spec.target] else { return nil }
            return try ModelSelection.stratifiedSplit(labels: try Pipeline.labels(column), testSize: split.test, seed: spec.seed)
        }
    }

    static func describe(_ split: TrainingSpec.SplitSpec?) -> String {
        guard let split else { return "none: metrics are on the training rows" }
        let size = split.test < 1 ? "\(NumberFormattingML.plain(split.test * 100))% of rows" : "\(Int(split.test)) rows"
        switch split.method {
        case .random: return "random: \(size) for testing"
        case .stratified: return "stratified: \(size) for testing, class shares kept"
        case .ordered: return "ordered: the \(split.testAtStart ? "first" : "last") \(size) for testing"
        }
    }

    static func selecting(_ frame: DataFrame, _ names: [String]) throws(MLError) -> DataFrame {
        do {
            return try frame.selecting(names)
        } catch {
            throw MLError(.invalidSpec, error.message, hints: error.hints, cause: error)
        }
    }

    /// The training-data fingerprint of `frame`: a tree of SHA-256 digests of its canonical bytes in 4 MiB chunks,
    /// hashed on every core (``DataFingerprint``; `docs/FINGERPRINT.md` defines it).
    public static func fingerprint(_ frame: DataFrame, makeHasher: @Sendable () -> any ByteHasher) -> String {
        DataFingerprint.of(frame, makeHasher: makeHasher)
    }
}
