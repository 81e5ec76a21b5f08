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
        guard frame[spec.target] != nil else {
            throw MLError(
                .invalidSpec, "the target column '\(spec.target)' is not in the data",
                hints: ["the columns are: \(frame.columnNames.joined(separator: ", "))"])
        }
        let excluded = Set((spec.exclude ?? []) + [spec.target])
        let features = spec.features ?? frame.columnNames.filter { !excluded.contains($0) }
        guard !features.isEmpty else {
            throw MLError(.invalidSpec, "the spec leaves no feature columns", hints: ["list them under features"])
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

        // The fingerprint is a pass of SHA-256 over all the data: it runs beside the fit and evaluation.
        options.progress("fingerprinting \(used.rowCount) rows in the background")
        let fingerprinting = BackgroundWork { () throws(MLError) -> String in try Trainer.fingerprint(used, makeHasher: options.makeHasher)
        }

        let split = try makeSplit(spec, used)
        let trainFrame = split.map { used.gathering($0.train) } ?? used
        let testFrame = split.map { used.gathering($0.test) } ?? used

        let pipeline = Pipeline(steps: spec.preprocessing, estimator: spec.estimator)
        options.progress("fitting on \(trainFrame.rowCount) rows")
        let fitted = try pipeline.fit(trainFrame, features: features, target: spec.target)

        options.progress("evaluating on \(testFrame.rowCount) rows")
        let (allMetrics, confusion) = try evaluate(fitted, on: testFrame)
        let metrics = allMetrics.filter { metricNames.contains($0.key) }

        var crossValidation: [String: (mean: Double, std: Double)]?
        if let folds = spec.crossValidation {
            options.progress("cross-validating with \(folds) folds")
            crossValidation = try crossValidate(
                pipeline, trainFrame, features: features, target: spec.target, folds: folds, seed: spec.seed
            )
            .filter { metricNames.contains($0.key) }
        }

        let gate = conditions.map { condition -> (GateCondition, Double, Bool) in
            let value = allMetrics[condition.metric] ?? .nan
            return (condition, value, value.isFinite && condition.passes(value))
        }
        options.progress("waiting for the fingerprint")
        let dataFingerprint = try fingerprinting.value()
        let artifact = ModelArtifact(
            batcatVersion: options.version, name: spec.name, task: classifier ? "classification" : "regression", pipeline: fitted,
            hyperparameters: pipeline, metrics: metrics, confusionMatrix: confusion,
            training: .init(
                dataFingerprint: dataFingerprint, rows: used.rowCount, trainRows: trainFrame.rowCount,
                testRows: split == nil ? 0 : testFrame.rowCount,
                seed: spec.seed, split: describe(spec.split)))
        return TrainingResult(artifact: artifact, gate: gate, crossValidation: crossValidation)
    }

    /// Every metric that applies, on `frame` (which must hold the features and the target).
    public static func evaluate(
        _ fitted: FittedPipeline, on frame: DataFrame
    ) throws(MLError) -> (metrics: [String: Double], confusion: [[Int]]?) {
        guard let targetColumn = frame[fitted.target] else {
            throw MLError(.schemaMismatch, "the data has no target column '\(fitted.target)' to evaluate against")
        }
        let predictions = try fitted.predict(frame)
        if let values = predictions.values {
            let truth = try Pipeline.numericTarget(targetColumn)
            return (
                [
                    "r2": RegressionMetrics.r2(truth, values), "mse": RegressionMetrics.meanSquaredError(truth, values),
                    "rmse": RegressionMetrics.rootMeanSquaredError(truth, values),
                    "mae": RegressionMetrics.meanAbsoluteError(truth, values),
                    "explained_variance": RegressionMetrics.explainedVariance(truth, values),
                ], nil
            )
        }
        let truth = try Pipeline.labels(targetColumn)
        let labels = predictions.labels ?? []
        let classes = predictions.classes ?? []
        let probabilities = predictions.probabilities.map { p in (0..<p.rows).map { row in (0..<p.columns).map { p[row, $0] } } } ?? []
        let binary = classes.count == 2
        var metrics: [String: Double] = [
            "accuracy": ClassificationMetrics.accuracy(truth, labels),
            "precision": ClassificationMetrics.precision(truth, labels, classes: classes, averaging: binary ? .binary : .macro),
            "recall": ClassificationMetrics.recall(truth, labels, classes: classes, averaging: binary ? .binary : .macro),
            "f1": ClassificationMetrics.f1(truth, labels, classes: classes, averaging: binary ? .binary : .macro),
            "log_loss": ClassificationMetrics.logLoss(truth, probabilities: probabilities, classes: classes),
        ]
        for averaging in [Averaging.macro, .weighted] {
            metrics["precision_\(averaging.rawValue)"] = ClassificationMetrics.precision(
                truth, labels, classes: classes, averaging: averaging)
            metrics["recall_\(averaging.rawValue)"] = ClassificationMetrics.recall(truth, labels, classes: classes, averaging: averaging)
            metrics["f1_\(averaging.rawValue)"] = ClassificationMetrics.f1(truth, labels, classes: classes, averaging: averaging)
        }
        if let auc = ClassificationMetrics.rocAUC(truth, probabilities: probabilities, classes: classes) { metrics["roc_auc"] = auc }
        return (metrics, ClassificationMetrics.confusionMatrix(truth, labels, classes: classes))
    }

    static func crossValidate(
        _ pipeline: Pipeline, _ frame: DataFrame, features: [String], target: String, folds: Int, seed: UInt64
    ) throws(MLError) -> [String: (mean: Double, std: Double)] {
        let splits: [Split]
        if pipeline.estimator.isClassifier, let column = frame[target] {
            splits = try ModelSelection.stratifiedKFold(labels: try Pipeline.labels(column), folds: folds, seed: seed)
        } else {
            splits = try ModelSelection.kFold(rows: frame.rowCount, folds: folds, seed: seed)
        }
        var collected: [String: [Double]] = [:]
        for split in splits {
            let fitted = try pipeline.fit(frame.gathering(split.train), features: features, target: target)
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
            throw MLError(.invalidSpec, error.message, hints: error.hints)
        }
    }

    /// SHA-256 of the frame's canonical bytes: `batcat.frame/1`, then per column its name, type, row
    /// count, missing-value mask and values (numbers as little-endian IEEE 754 or two's complement,
    /// text as length-prefixed UTF-8). Binary, so that hashing a million rows costs a pass over memory
    /// and not the formatting of twenty million numbers.
    public static func fingerprint(_ frame: DataFrame, makeHasher: @Sendable () -> any ByteHasher) throws(MLError) -> String {
        var hasher = makeHasher()
        func feed(_ bytes: [UInt8]) { bytes.withUnsafeBytes { hasher.update($0) } }
        func feed<T: FixedWidthInteger>(integer value: T) { withUnsafeBytes(of: value.littleEndian) { hasher.update($0) } }
        func feed<T: BitwiseCopyable>(raw values: [T]) {
            #if _endian(big)
            for value in values { withUnsafeBytes(of: value) { feed(Array($0.reversed())) } }
            #else
            values.withUnsafeBytes { hasher.update($0) }
            #endif
        }
        feed(Array("batcat.frame/1\n".utf8))
        for column in frame.columns {
            feed(Array("\(column.name)\n\(column.type.rawValue)\n".utf8))
            feed(integer: UInt64(column.count))
            if let missing = column.missing {
                feed([1])
                feed(missing.map { $0 ? 1 : 0 })
            } else {
                feed([0])
            }
            // Doubles' and 64-bit integers' bytes as they lie in memory are their little-endian encodings.
            switch column.values {
            case .double(let values), .date(let values): feed(raw: values)
            case .int(let values): feed(raw: values.map { Int64($0) })
            case .bool(let values): feed(values.map { $0 ? 1 : 0 })
            case .string(let values):
                values.forEachUTF8 { bytes in
                    feed(integer: UInt32(bytes.count))
                    hasher.update(bytes)
                }
            }
        }
        return hasher.finalize()
    }
}
