import BatCatData
import Foundation

/// How far apart two rows are, for the nearest-neighbour estimators.
public enum NeighborMetric: String, Codable, Hashable, Sendable {
    /// The straight-line distance.
    case euclidean
    /// The sum of the absolute differences.
    case manhattan
    /// `(Σ |a − b|^p)^(1/p)`, with the spec's `p`.
    case minkowski
    /// `1 − a·b / (|a| |b|)`; a row of zeros is at distance 1 from every row.
    case cosine
}

/// How the nearest rows are found; every way finds the same rows.
public enum NeighborAlgorithm: String, Codable, Hashable, Sendable {
    /// A k-d tree where it pays (a distance other than cosine, at most 15 features, more than 64 rows), else brute force.
    case auto
    /// Every training row measured.
    case brute
    /// A k-d tree (not for the cosine distance).
    case kdTree
}

/// How the neighbours' votes (or values) count.
public enum NeighborWeights: String, Codable, Hashable, Sendable {
    /// All alike.
    case uniform
    /// By the inverse of their distance; neighbours at distance 0, when there are any, alone count.
    case distance
}

/// The search both nearest-neighbour estimators share: the settings, the training rows, and the lookup: the `k`
/// nearest rows, equal distances in training order, by brute force (every row measured) or through a ``KDTree``,
/// which finds the same rows.
public struct NeighborSearch: Codable, Equatable, Sendable {
    /// How many neighbours.
    public var k: Int
    /// The distance.
    public var metric: NeighborMetric
    /// Minkowski's power (2 is euclidean).
    public var p: Double
    /// How the neighbours count.
    public var weights: NeighborWeights
    /// The training rows, row after row.
    public var rows: [Double]
    /// The number of features.
    public var featureCount: Int
    /// The index, when the search uses one.
    public var tree: KDTree?

    /// The number of training rows.
    public var rowCount: Int { featureCount == 0 ? 0 : rows.count / featureCount }

    /// Checks the settings against the training data.
    static func check(k: Int, p: Double, metric: NeighborMetric, rows: Int, estimator: String) throws(MLError) {
        guard k >= 1 else { throw MLError(.invalidSpec, "\(estimator) needs nNeighbors of at least 1, not \(k)") }
        guard k <= rows else {
            throw MLError(
                .invalidSpec, "\(estimator) asks for \(k) neighbours, but there are only \(rows) training rows",
                hints: ["lower nNeighbors, or train on more rows"])
        }
        guard metric != .minkowski || p >= 1 else {
            throw MLError(.invalidSpec, "\(estimator)'s p is \(p); the Minkowski distance needs p of at least 1")
        }
    }

    /// The distance between two rows.
    @inline(__always)
    func distance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>) -> Double {
        let n = featureCount
        switch metric {
        case .euclidean, .minkowski where p == 2:
            var sum = 0.0
            for j in 0..<n {
                let d = a[j] - b[j]
                sum += d * d
            }
            return sum.squareRoot()
        case .manhattan, .minkowski where p == 1:
            var sum = 0.0
            for j in 0..<n { sum += abs(a[j] - b[j]) }
            return sum
        case .minkowski:
            var sum = 0.0
            for j in 0..<n { sum += pow(abs(a[j] - b[j]), p) }
            return pow(sum, 1 / p)
        case .cosine:
            var dot = 0.0
            var aa = 0.0
            var bb = 0.0
            for j in 0..<n {
                dot += a[j] * b[j]
                aa += a[j] * a[j]
                bb += b[j] * b[j]
            }
            guard aa > 0 && bb > 0 else { return 1 }
            return max(0, 1 - dot / (aa.squareRoot() * bb.squareRoot()))
        }
    }

    /// For each row of `x`, its `k` nearest training rows (indices) and their distances, nearest first.
    public func neighbors(of x: Matrix) throws(MLError) -> [(indices: [Int], distances: [Double])] {
        guard x.columns == featureCount else {
            throw MLError(.schemaMismatch, "the rows have \(x.columns) features, but the model was trained on \(featureCount)")
        }
        let train = rows
        let count = rowCount
        let pieces = LinearAlgebra.parallelRows(x.rows, minimumPerPiece: 64) { range -> [(indices: [Int], distances: [Double])] in
            var found: [(indices: [Int], distances: [Double])] = []
            found.reserveCapacity(range.count)
            x.values.withUnsafeBufferPointer { query in
                train.withUnsafeBufferPointer { train in
                    for row in range {
                        let q = query.baseAddress! + row * featureCount
                        if let tree {
                            found.append(tree.nearest(q, k: k, search: self, rows: train))
                            continue
                        }
                        var best: [(Double, Int)] = []
                        best.reserveCapacity(k + 1)
                        for i in 0..<count {
                            let d = distance(q, train.baseAddress! + i * featureCount)
                            // Strictly nearer than the k-th so far: equal distances keep the earlier row.
                            guard best.count < k || d < best[best.count - 1].0 else { continue }
                            var at = best.count
                            while at > 0 && best[at - 1].0 > d { at -= 1 }
                            best.insert((d, i), at: at)
                            if best.count > k { best.removeLast() }
                        }
                        found.append((best.map(\.1), best.map(\.0)))
                    }
                }
            }
            return found
        }
        return pieces.flatMap { $0 }
    }

    /// The neighbours' weights.
    func weights(for distances: [Double]) -> [Double] {
        switch weights {
        case .uniform: return [Double](repeating: 1, count: distances.count)
        case .distance:
            if distances.contains(0) { return distances.map { $0 == 0 ? 1 : 0 } }
            return distances.map { 1 / $0 }
        }
    }

    /// `rows × features (size)`, for `inspect`.
    var storedData: String {
        let bytes = rows.count * 8
        let size = bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : bytes >= 1 << 10 ? "\(bytes >> 10) KiB" : "\(bytes) B"
        return "the \(rowCount) training rows × \(featureCount) features (\(size) of numbers) are kept in the artifact"
            + (tree == nil ? ", searched by brute force" : ", with a k-d tree over them")
    }
}

/// The settings both nearest-neighbour estimators take.
public struct NeighborSettings: Codable, Hashable, Sendable {
    /// How many neighbours.
    public var nNeighbors: Int
    /// How they count.
    public var weights: NeighborWeights
    /// The distance.
    public var metric: NeighborMetric
    /// Minkowski's power.
    public var p: Double
    /// How the nearest rows are found.
    public var algorithm: NeighborAlgorithm

    /// The settings.
    public init(
        nNeighbors: Int = 5, weights: NeighborWeights = .uniform, metric: NeighborMetric = .euclidean, p: Double = 2,
        algorithm: NeighborAlgorithm = .auto
    ) {
        self.nNeighbors = nNeighbors
        self.weights = weights
        self.metric = metric
        self.p = p
        self.algorithm = algorithm
    }

    /// The documentation's list of settings.
    static let summary =
        "`nNeighbors` (5), `weights` (uniform or distance), `metric` (euclidean, manhattan, minkowski, cosine), `p` (2, for minkowski), `algorithm` (auto, brute or kdTree)"

    /// `7, euclidean, distance`.
    var summary: String { "\(nNeighbors), \(metric == .minkowski ? "minkowski p \(p)" : metric.rawValue), \(weights.rawValue)" }

    /// Decodes `owner`'s settings from a spec or an artifact; every setting optional, an unknown one refused.
    init(from decoder: any Decoder, owner: String) throws {
        let settings = try decoder.settings(owner, allowed: ["nNeighbors", "weights", "metric", "p", "algorithm"])
        self.init(
            nNeighbors: try settings.value("nNeighbors", default: 5), weights: try settings.value("weights", default: .uniform),
            metric: try settings.value("metric", default: .euclidean), p: try settings.value("p", default: 2.0),
            algorithm: try settings.value("algorithm", default: .auto))
    }

    /// The search over the training rows `x`, once the settings are checked against them.
    func search(_ x: Matrix, estimator: String) throws(MLError) -> NeighborSearch {
        try NeighborSearch.check(k: nNeighbors, p: p, metric: metric, rows: x.rows, estimator: estimator)
        if algorithm == .kdTree && metric == .cosine {
            throw MLError(.invalidSpec, "\(estimator) cannot search the cosine distance with a k-d tree", hints: ["use algorithm: brute or auto"])
        }
        let tree = algorithm == .kdTree || (algorithm == .auto && metric != .cosine && x.columns <= 15 && x.rows > 64)
        return NeighborSearch(
            k: nNeighbors, metric: metric, p: p, weights: weights, rows: x.values, featureCount: x.columns,
            tree: tree ? KDTree(rows: x.values, features: x.columns) : nil)
    }
}

/// k-nearest neighbours for classes: the class most of a row's nearest training rows hold (weighted by inverse
/// distance with `weights: distance`), ties to the first class in sorted order; probabilities are the vote shares.
public struct KNeighborsClassifier: Codable, Hashable, Sendable {
    /// The number of neighbours, their weighting and the distance.
    public var settings: NeighborSettings

    /// Creates the estimator.
    public init(
        nNeighbors: Int = 5, weights: NeighborWeights = .uniform, metric: NeighborMetric = .euclidean, p: Double = 2,
        algorithm: NeighborAlgorithm = .auto
    ) {
        settings = NeighborSettings(nNeighbors: nNeighbors, weights: weights, metric: metric, p: p, algorithm: algorithm)
    }

    /// A fitted classifier: the training rows and their classes.
    public struct Fitted: Codable, Equatable, Sendable {
        /// The settings and the training rows.
        public var search: NeighborSearch
        /// The classes, sorted.
        public var classes: [ClassLabel]
        /// Each training row's class, as an index into ``classes``.
        public var targets: [Int]
    }

    /// Keeps the rows and their labels.
    public func fit(_ x: Matrix, _ y: [ClassLabel]) throws(MLError) -> Fitted {
        let search = try settings.search(x, estimator: Self.typeName)
        let classes = Array(Set(y)).sorted()
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        return Fitted(search: search, classes: classes, targets: y.map { index[$0]! })
    }
}

extension KNeighborsClassifier.Fitted: TrainedModel {
    public static let modelTypeName = "kNeighborsClassifier"
    public static let predictionLayout = InputLayout.matrix
    public var featureCount: Int { search.featureCount }
    public var classLabels: [ClassLabel]? { classes }
    public var storedData: String? { search.storedData }

    public func predict(_ x: Design) throws(MLError) -> Predictions {
        let found = try search.neighbors(of: x.matrix())
        var shares = [Double](repeating: 0, count: found.count * classes.count)
        var labels: [ClassLabel] = []
        labels.reserveCapacity(found.count)
        for (row, neighbors) in found.enumerated() {
            let weights = search.weights(for: neighbors.distances)
            let total = weights.reduce(0, +)
            let base = row * classes.count
            for (index, weight) in zip(neighbors.indices, weights) { shares[base + targets[index]] += weight / total }
            var best = 0
            for k in 1..<max(classes.count, 1) where shares[base + k] > shares[base + best] { best = k }
            labels.append(classes[best])
        }
        return Predictions(
            labels: labels, probabilities: Matrix(rows: found.count, columns: classes.count, values: shares), classes: classes)
    }
}

extension KNeighborsClassifier: EstimatorKind {
    public static let typeName = "kNeighborsClassifier"
    public static let summary = "k-nearest neighbours' vote (k-d tree or brute-force search; the training rows are kept in the artifact)"
    public static let settingsSummary = NeighborSettings.summary
    public static let predictsClasses = true
    public static let trainingLayout = InputLayout.matrix
    public var specName: String { "kNeighborsClassifier (\(settings.metric.rawValue))" }
    public var label: String { "k-nearest-neighbours (\(settings.summary))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Fitted {
        try fit(x.matrix(), try target.labels(for: Self.typeName))
    }

    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        settings = try NeighborSettings(from: decoder, owner: Self.typeName)
    }

    /// The settings, flat, as a spec writes them.
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }
}

/// k-nearest neighbours for numbers: the mean of a row's nearest training rows' targets (weighted by inverse
/// distance with `weights: distance`).
public struct KNeighborsRegressor: Codable, Hashable, Sendable {
    /// The number of neighbours, their weighting and the distance.
    public var settings: NeighborSettings

    /// Creates the estimator.
    public init(
        nNeighbors: Int = 5, weights: NeighborWeights = .uniform, metric: NeighborMetric = .euclidean, p: Double = 2,
        algorithm: NeighborAlgorithm = .auto
    ) {
        settings = NeighborSettings(nNeighbors: nNeighbors, weights: weights, metric: metric, p: p, algorithm: algorithm)
    }

    /// A fitted regressor: the training rows and their targets.
    public struct Fitted: Codable, Equatable, Sendable {
        /// The settings and the training rows.
        public var search: NeighborSearch
        /// Each training row's target.
        public var targets: [Double]
    }

    /// Keeps the rows and their targets.
    public func fit(_ x: Matrix, _ y: [Double]) throws(MLError) -> Fitted {
        Fitted(search: try settings.search(x, estimator: Self.typeName), targets: y)
    }
}

extension KNeighborsRegressor.Fitted: TrainedModel {
    public static let modelTypeName = "kNeighborsRegressor"
    public static let predictionLayout = InputLayout.matrix
    public var featureCount: Int { search.featureCount }
    public var classLabels: [ClassLabel]? { nil }
    public var storedData: String? { search.storedData }

    public func predict(_ x: Design) throws(MLError) -> Predictions {
        let found = try search.neighbors(of: x.matrix())
        return Predictions(
            values: found.map { neighbors in
                let weights = search.weights(for: neighbors.distances)
                var sum = 0.0
                for (index, weight) in zip(neighbors.indices, weights) { sum += weight * targets[index] }
                return sum / weights.reduce(0, +)
            })
    }
}

extension KNeighborsRegressor: EstimatorKind {
    public static let typeName = "kNeighborsRegressor"
    public static let summary = "the mean of the k nearest neighbours' targets (k-d tree or brute-force search; the training rows are kept in the artifact)"
    public static let settingsSummary = NeighborSettings.summary
    public static let predictsClasses = false
    public static let trainingLayout = InputLayout.matrix
    public var specName: String { "kNeighborsRegressor (\(settings.metric.rawValue))" }
    public var label: String { "k-nearest-neighbours regressor (\(settings.summary))" }

    public func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Fitted {
        try fit(x.matrix(), try target.values(for: Self.typeName))
    }

    /// Decodes from a spec; every setting optional.
    public init(from decoder: any Decoder) throws {
        settings = try NeighborSettings(from: decoder, owner: Self.typeName)
    }

    /// The settings, flat, as a spec writes them.
    public func encode(to encoder: any Encoder) throws { try settings.encode(to: encoder) }
}
