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
    public init(name: String, version: Int?, artifact: ModelArtifact) throws {
        self.name = name
        self.version = version
        self.artifact = artifact
        self.digest = try artifact.digest
        self.compiled = artifact.pipeline.compiled()
    }

    var pipeline: FittedPipeline { artifact.pipeline }
    var features: [FeatureSchema] { artifact.pipeline.features }
    var featureNames: [String] { artifact.pipeline.featureNames }
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

    /// Predictions for rows of numbers in feature order: the compiled path when there is one.
    func predict(_ rows: RowParser.Rows) throws(ServeError) -> Output {
        guard rows.count > 0 else { throw ServeError.invalidInput("the input is empty: send at least one row") }
        guard let compiled else { return try predict(try frame(fromRows: rows)) }
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

/// The model being served now. Swapping replaces the reference atomically; a request that already
/// holds the old model finishes on it.
public final class LiveModel: Sendable {
    private let state: Mutex<ServedModel?>

    /// Starts with `model` (or none, until the first load).
    public init(_ model: ServedModel?) {
        state = Mutex(model)
    }

    /// The model now, or `nil` before the first load.
    public var current: ServedModel? { state.withLock { $0 } }

    /// Replaces the model.
    public func swap(to model: ServedModel) {
        state.withLock { $0 = model }
    }
}
