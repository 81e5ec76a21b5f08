import BatCatData
import BatCatML
import Foundation
import Synchronization

/// A model ready to answer requests: its artifact, where it came from, and its compiled row path.
public final class ServedModel: Sendable {
    /// The model's name (the registry name, or the artifact's).
    public let name: String
    /// The registry version, or `nil` for an artifact file.
    public let version: Int?
    /// The artifact's digest.
    public let digest: String
    /// The artifact.
    public let artifact: ModelArtifact
    let compiled: CompiledPipeline?

    /// Wraps an artifact.
    public convenience init(name: String, version: Int?, artifact: ModelArtifact) throws {
        try self.init(name: name, version: version, sealed: try artifact.sealed())
    }

    /// Wraps an artifact whose digest is known.
    public init(name: String, version: Int?, sealed: SealedArtifact) throws {
        let artifact = sealed.artifact
        self.name = name
        self.version = version
        self.artifact = artifact
        self.digest = sealed.digest
        self.compiled = artifact.pipeline.compiled()
        self.featureNames = artifact.pipeline.featureNames
        self.takesNumbersOnly = artifact.pipeline.features.allSatisfy { $0.type.isNumeric }
        self.imputedFeatures = Set(
            artifact.pipeline.steps.flatMap { step -> [String] in
                if case .simpleImputer(let imputer) = step.step { return Array(imputer.fills.keys) }
                return []
            })
    }

    /// The features the pipeline imputes, so a missing value (`null`) in them is accepted.
    let imputedFeatures: Set<String>

    /// Whether every feature is a number, so `{"x": [[…]]}` rows can take the hand-parsed fast path; rows for a
    /// model with a text, boolean or date feature go through the general decoder.
    let takesNumbersOnly: Bool

    var pipeline: FittedPipeline { artifact.pipeline }
    var features: [FeatureSchema] { artifact.pipeline.features }
    /// The feature names, in order (kept, not rebuilt for every request).
    let featureNames: [String]
    var versionLabel: String { version.map(String.init) ?? "file" }

    /// What a prediction request produced.
    enum Output {
        case values([Double])
        case labels([ClassLabel], probabilities: [[Double]], classes: [ClassLabel])

        var count: Int {
            switch self {
            case .values(let v): v.count
            case .labels(let l, _, _): l.count
            }
        }
    }

    /// Predictions for rows of numbers in feature order: the compiled path when there is one. A prediction that is
    /// not a finite number (inputs so far outside the training range that the arithmetic overflows) is a 422.
    func predict(_ rows: RowParser.Rows) throws(ServeError) -> Output {
        try ServedModel.checkFinite(try predictUnchecked(rows))
    }

    /// The largest magnitude a numeric input may have: beyond it no real data lies, and a model's arithmetic may
    /// overflow to infinity, which JSON cannot carry.
    static let largestInput = 1e100

    static func tooLarge(row: Int, feature: String) -> ServeError {
        ServeError.invalidInput("row \(row), feature '\(feature)': the value is beyond ±1e100, the largest a model takes")
    }

    static func checkFinite(_ output: Output) throws(ServeError) -> Output {
        let row: Int?
        switch output {
        case .values(let values): row = values.firstIndex { !$0.isFinite }
        case .labels(_, let probabilities, _): row = probabilities.firstIndex { !$0.allSatisfy(\.isFinite) }
        }
        if let row {
            throw ServeError.invalidInput(
                "row \(row): the prediction is not a finite number: the input is too far outside the range the model was trained on")
        }
        return output
    }

    private func predictUnchecked(_ rows: RowParser.Rows) throws(ServeError) -> Output {
        if let index = rows.values.firstIndex(where: { $0.isFinite && $0.magnitude > ServedModel.largestInput }) {
            throw ServedModel.tooLarge(row: index / max(rows.width, 1), feature: features[index % max(rows.width, 1)].name)
        }
        guard rows.count > 0 else { throw ServeError.invalidInput("the input is empty: send at least one row") }
        guard let compiled else { return try predictUnchecked(try frame(fromRows: rows)) }
        for row in 0..<rows.count {
            for j in 0..<rows.width where rows.values[row * rows.width + j].isNaN && !compiled.acceptsMissing[j] {
                throw ServeError.invalidInput("row \(row), feature '\(features[j].name)' is missing, and the model has no imputer for it")
            }
        }
        return rows.values.withUnsafeBufferPointer { values in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: compiled.scratchSize) { scratch in
                if let classes = compiled.classes {
                    var labels: [ClassLabel] = []
                    var all: [[Double]] = []
                    var probabilities = [Double](repeating: 0, count: classes.count)
                    for row in 0..<rows.count {
                        let slice = UnsafeBufferPointer(rebasing: values[(row * rows.width)..<((row + 1) * rows.width)])
                        compiled.predictProbabilities(slice, scratch: scratch, into: &probabilities)
                        var best = 0
                        for k in 1..<classes.count where probabilities[k] > probabilities[best] { best = k }
                        labels.append(classes[best])
                        all.append(probabilities)
                    }
                    return .labels(labels, probabilities: all, classes: classes)
                }
                var out: [Double] = []
                out.reserveCapacity(rows.count)
                for row in 0..<rows.count {
                    out.append(
                        compiled.predictValue(
                            UnsafeBufferPointer(rebasing: values[(row * rows.width)..<((row + 1) * rows.width)]), scratch: scratch))
                }
                return .values(out)
            }
        }
    }

    /// Predictions for a frame of named features.
    func predict(_ frame: DataFrame) throws(ServeError) -> Output {
        try ServedModel.checkFinite(try predictUnchecked(frame))
    }

    private func predictUnchecked(_ frame: DataFrame) throws(ServeError) -> Output {
        for feature in features where feature.type != .string {
            guard let column = frame[feature.name], case .double(let values) = column.values else { continue }
            if let row = values.indices.first(where: { values[$0].isFinite && values[$0].magnitude > ServedModel.largestInput && !column.isMissing($0) }) {
                throw ServedModel.tooLarge(row: row, feature: feature.name)
            }
        }
        guard frame.rowCount > 0 else { throw ServeError.invalidInput("the input is empty: send at least one row") }
        let predictions: Predictions
        do {
            predictions = try pipeline.predict(frame)
        } catch {
            throw ServeError.invalidInput(error.message)
        }
        if let values = predictions.values { return .values(values) }
        let matrix = predictions.probabilities ?? Matrix(rows: 0, columns: 0, values: [])
        let rows = (0..<matrix.rows).map { r in (0..<matrix.columns).map { matrix[r, $0] } }
        return .labels(predictions.labels ?? [], probabilities: rows, classes: predictions.classes ?? [])
    }

    /// A frame of the features from numeric rows (for pipelines without a compiled path).
    func frame(fromRows rows: RowParser.Rows) throws(ServeError) -> DataFrame {
        var columns: [Column] = []
        for (j, feature) in features.enumerated() {
            let values: [Double?] = (0..<rows.count).map { row in
                let value = rows.values[row * rows.width + j]
                return value.isNaN ? nil : value
            }
            if feature.type == .string {
                columns.append(Column(feature.name, strings: values.map { $0.map { NumberFormatting.shortest($0) } }))
            } else {
                columns.append(Column(feature.name, doubles: values))
            }
        }
        do {
            return try DataFrame(columns: columns)
        } catch {
            throw ServeError.invalidInput(error.message)
        }
    }
}

/// The model being served now: one, or several weighted variants for A/B tests. Swapping replaces a
/// reference atomically; a request that already holds the old model finishes on it.
public final class LiveModel: Sendable {
    /// One variant: a name, a weight, and its model.
    public struct Variant: Sendable {
        /// The variant's name (in the `x-model-variant` header and the metrics).
        public var name: String
        /// Its share of callers, relative to the other weights.
        public var weight: Int
        /// Its model.
        public var model: ServedModel

        /// Creates a variant.
        public init(name: String, weight: Int, model: ServedModel) {
            self.name = name
            self.weight = weight
            self.model = model
        }
    }

    private let state: Mutex<[Variant]>
    /// Whether this is an A/B test (more than one variant); swaps never change the number of variants.
    public let isSplit: Bool

    /// Starts with `model` (or none, until the first load).
    public init(_ model: ServedModel?) {
        state = Mutex(model.map { [Variant(name: "default", weight: 1, model: $0)] } ?? [])
        isSplit = false
    }

    /// Serves several variants, each caller sticking to one (chosen by a hash of the caller's key name).
    public init(variants: [Variant]) {
        state = Mutex(variants)
        isSplit = variants.count > 1
    }

    /// The first variant's model, or `nil` before the first load.
    public var current: ServedModel? { state.withLock { $0.first?.model } }

    /// The variants now.
    public var variants: [Variant] { state.withLock { $0 } }

    /// The variant for `caller`: the same caller always gets the same one while the weights stay.
    public func variant(for caller: String) -> Variant? {
        let all = state.withLock { $0 }
        guard all.count > 1 else { return all.first }
        let total = all.reduce(0) { $0 + max($1.weight, 0) }
        guard total > 0 else { return all.first }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in caller.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        var point = Int(hash % UInt64(total))
        for variant in all {
            if point < max(variant.weight, 0) { return variant }
            point -= max(variant.weight, 0)
        }
        return all.last
    }

    /// Replaces the model of the only (or first) variant.
    public func swap(to model: ServedModel) {
        state.withLock { all in
            if all.isEmpty { all = [Variant(name: "default", weight: 1, model: model)] } else { all[0].model = model }
        }
    }

    /// Replaces the model of the variant named `name`.
    public func swap(to model: ServedModel, variant name: String) {
        state.withLock { all in
            for index in all.indices where all[index].name == name { all[index].model = model }
        }
    }
}

/// Per-request facts the middleware and the handlers share: who calls, and which variant answered.
enum RequestFacts {
    @TaskLocal static var caller: String = "anonymous"
    @TaskLocal static var answered: AnsweredBy? = nil
}

/// Filled by a prediction handler with the variant that answered, read by the metrics middleware.
final class AnsweredBy: Sendable {
    private let name = Mutex<String?>(nil)
    var variant: String? {
        get { name.withLock { $0 } }
        set { name.withLock { $0 = newValue } }
    }
}
