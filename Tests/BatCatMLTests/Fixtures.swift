import BatCatData
import BatCatML
import Foundation
import Testing

/// Reference values from scikit-learn, made by Fixtures/make-fixtures.py.
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: folder.appendingPathComponent(name)))
    }

    struct RegressionCase: Decodable, CustomTestStringConvertible {
        var dataset: String
        var estimator: String
        var params: [String: Double]
        var x: [[Double]]
        var y: [Double]
        var coefficients: [Double]
        var intercept: Double
        var predictions: [Double]
        var testDescription: String { "\(estimator) on \(dataset)" }
    }

    struct ClassificationCase: Decodable, CustomTestStringConvertible {
        var dataset: String
        var c: Double
        var x: [[Double]]
        var y: [Int]
        var classes: [Int]
        var probabilities: [[Double]]
        var predictions: [Int]
        var testDescription: String { "C=\(c) on \(dataset)" }
    }

    /// The regression references; a missing, unreadable or empty fixture throws, so its tests fail rather than vanish.
    static func regressionCases() throws -> [RegressionCase] { try nonEmpty(load("regression.json", as: [RegressionCase].self), "regression.json") }
    /// The classification references; throws as ``regressionCases()`` does.
    static func classificationCases() throws -> [ClassificationCase] {
        try nonEmpty(load("classification.json", as: [ClassificationCase].self), "classification.json")
    }

    struct EmptyFixture: Error, CustomStringConvertible {
        var name: String
        var description: String { "the fixture \(name) holds no cases; run Fixtures/make-fixtures.py" }
    }

    static func nonEmpty<T>(_ cases: [T], _ name: String) throws -> [T] {
        guard !cases.isEmpty else { throw EmptyFixture(name: name) }
        return cases
    }

    static func matrix(_ rows: [[Double]]) -> Matrix {
        Matrix(rows: rows.count, columns: rows.first?.count ?? 0, values: rows.flatMap { $0 })
    }

    /// The diabetes example as the quickstart reads it.
    static func diabetes() throws -> DataFrame {
        try CSVReader().read(path: repository.appendingPathComponent("examples/diabetes-bmi/diabetes.csv").path)
    }

    static func biopsy() throws -> DataFrame {
        try CSVReader().read(path: repository.appendingPathComponent("examples/breast-cancer/biopsy.csv").path)
    }
}

/// |a − b| ≤ tolerance · max(1, |b|).
func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
}

/// |a − b| ≤ tolerance · |b| (relative).
func relativelyClose(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * abs(b)
}
