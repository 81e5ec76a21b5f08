import BatCatData
import BatCatML
import Foundation
import Testing

@Suite("k-nearest neighbours against scikit-learn")
struct NeighborsTests {
    struct Reference: Decodable {
        struct Classes: Decodable {
            var x: [[Double]]
            var y: [Int]
            var test: [[Double]]
        }
        struct Values: Decodable {
            var x: [[Double]]
            var y: [Double]
            var test: [[Double]]
        }
        struct Case: Decodable, CustomTestStringConvertible {
            var metric: String
            var p: Double
            var weights: String
            var k: Int
            var labels: [Int]
            var probabilities: [[Double]]
            var predictions: [Double]
            var testDescription: String { "\(metric) p=\(p), \(weights), k=\(k)" }
        }
        var classes: Classes
        var values: Values
        var cases: [Case]
    }

    static func cases() throws -> [Reference.Case] {
        let cases = try Fixtures.load("neighbors.json", as: Reference.self).cases
        #expect(cases.count == 16)
        return cases
    }

    /// The ways to search a case's metric: every one must give scikit-learn's answer.
    static func algorithms(_ reference: Reference.Case) -> [NeighborAlgorithm] {
        reference.metric == "cosine" ? [.brute, .auto] : [.brute, .kdTree, .auto]
    }

    @Test("Classes and probabilities equal scikit-learn's brute-force search, by brute force and by k-d tree", arguments: try cases())
    func classifier(reference: Reference.Case) throws {
        for algorithm in Self.algorithms(reference) { try classifier(reference, algorithm) }
    }

    func classifier(_ reference: Reference.Case, _ algorithm: NeighborAlgorithm) throws {
        let data = try Fixtures.load("neighbors.json", as: Reference.self).classes
        let estimator = KNeighborsClassifier(
            nNeighbors: reference.k, weights: NeighborWeights(rawValue: reference.weights)!, metric: NeighborMetric(rawValue: reference.metric)!,
            p: reference.p, algorithm: algorithm)
        let model = try estimator.fit(Fixtures.matrix(data.x), data.y.map { .int($0) })
        let predictions = try model.predict(.matrix(Fixtures.matrix(data.test)))
        #expect(predictions.labels == reference.labels.map { .int($0) }, "\(algorithm)")
        let probabilities = try #require(predictions.probabilities)
        for (row, expected) in reference.probabilities.enumerated() {
            for (k, value) in expected.enumerated() {
                #expect(abs(probabilities[row, k] - value) < 1e-9, "row \(row), class \(k)")
            }
        }
    }

    @Test("Values equal scikit-learn's brute-force search, by brute force and by k-d tree", arguments: try cases())
    func regressor(reference: Reference.Case) throws {
        for algorithm in Self.algorithms(reference) { try regressor(reference, algorithm) }
    }

    func regressor(_ reference: Reference.Case, _ algorithm: NeighborAlgorithm) throws {
        let data = try Fixtures.load("neighbors.json", as: Reference.self).values
        let estimator = KNeighborsRegressor(
            nNeighbors: reference.k, weights: NeighborWeights(rawValue: reference.weights)!, metric: NeighborMetric(rawValue: reference.metric)!,
            p: reference.p, algorithm: algorithm)
        let model = try estimator.fit(Fixtures.matrix(data.x), data.y)
        let values = try #require(try model.predict(.matrix(Fixtures.matrix(data.test))).values)
        #expect(values.count == reference.predictions.count)
        for (got, expected) in zip(values, reference.predictions) {
            #expect(abs(got - expected) <= 1e-9 * max(1, abs(expected)), "\(got) vs \(expected)")
        }
    }

    @Test("A row at distance zero takes its neighbour's value alone with distance weights; equal distances keep training order")
    func zeroDistanceAndTies() throws {
        let x = Matrix(rows: 4, columns: 1, values: [0, 1, 1, 3])
        let model = try KNeighborsRegressor(nNeighbors: 2, weights: .distance).fit(x, [10, 20, 30, 40])
        #expect(try model.predict(.matrix(Matrix(rows: 1, columns: 1, values: [3]))).values == [40])
        // 1 and 1 are equally near 1.2's neighbours after 0: the first (20) and the second (30) are the two nearest.
        let uniform = try KNeighborsRegressor(nNeighbors: 1).fit(x, [10, 20, 30, 40])
        #expect(try uniform.predict(.matrix(Matrix(rows: 1, columns: 1, values: [1]))).values == [20])
        // A tie in the vote goes to the first class in sorted order.
        let classes = try KNeighborsClassifier(nNeighbors: 2).fit(Matrix(rows: 2, columns: 1, values: [0, 2]), [.string("b"), .string("a")])
        #expect(try classes.predict(.matrix(Matrix(rows: 1, columns: 1, values: [1]))).labels == [.string("a")])
    }

    @Test(
        "The k-d tree finds exactly the rows brute force finds, ties included, on data full of equal distances",
        arguments: [(NeighborMetric.euclidean, 2.0), (.manhattan, 1), (.minkowski, 3)])
    func treeEqualsBrute(metric: NeighborMetric, p: Double) throws {
        var generator = SeededGenerator(seed: 11)
        let rows = 3_000
        let x = Matrix(rows: rows, columns: 3, values: (0..<(rows * 3)).map { _ in Double(generator.next() % 6) })
        let queries = Matrix(rows: 400, columns: 3, values: (0..<1_200).map { _ in Double(generator.next() % 8) - 1 })
        let targets = (0..<rows).map { Double($0) }
        for k in [1, 7, 40] {
            let brute = try KNeighborsRegressor(nNeighbors: k, weights: .distance, metric: metric, p: p, algorithm: .brute).fit(x, targets)
            let tree = try KNeighborsRegressor(nNeighbors: k, weights: .distance, metric: metric, p: p, algorithm: .kdTree).fit(x, targets)
            #expect(tree.search.tree != nil && brute.search.tree == nil)
            let a = try brute.search.neighbors(of: queries)
            let b = try tree.search.neighbors(of: queries)
            #expect(a.map(\.indices) == b.map(\.indices), "k \(k)")
            #expect(a.map(\.distances) == b.map(\.distances), "k \(k)")
        }
    }

    @Test("Settings a search cannot use are refused before anything is kept")
    func refused() {
        let x = Matrix(rows: 3, columns: 1, values: [0, 1, 2])
        let many = #expect(throws: MLError.self) { try KNeighborsRegressor(nNeighbors: 4).fit(x, [0, 1, 2]) }
        #expect(many?.message == "kNeighborsRegressor asks for 4 neighbours, but there are only 3 training rows")
        #expect(throws: MLError.self) { try KNeighborsClassifier(nNeighbors: 0).fit(x, [.int(0), .int(1), .int(1)]) }
        #expect(throws: MLError.self) { try KNeighborsRegressor(metric: .minkowski, p: 0.5).fit(x, [0, 1, 2]) }
        #expect(throws: MLError.self) { try KNeighborsRegressor(nNeighbors: 1, metric: .cosine, algorithm: .kdTree).fit(x, [0, 1, 2]) }
    }
}
