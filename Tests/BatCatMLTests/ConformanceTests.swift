import BatCatData
import BatCatML
import Foundation
import Testing

/// The shared suite every estimator passes: determinism, a bit-exact JSON round trip, a checked schema.
@Suite("Estimator conformance")
struct ConformanceTests {
    static let estimators: [EstimatorChoice] = [
        EstimatorChoice(LinearRegression()),
        EstimatorChoice(LinearRegression(solver: .gradientDescent, learningRate: 0.05, iterations: 500)),
        EstimatorChoice(Ridge(alpha: 0.5)),
        EstimatorChoice(Lasso(alpha: 0.01)),
        EstimatorChoice(LogisticRegression()),
        EstimatorChoice(LogisticRegression(solver: .newton)),
    ]

    /// A small dataset with two numeric features and both a numeric and a class target.
    static func data() throws -> DataFrame {
        var generator = SeededGenerator(seed: 5)
        var a: [Double] = [], b: [Double] = [], y: [Double] = [], label: [String] = []
        for _ in 0..<200 {
            let x1 = Double(generator.below(1000)) / 100 - 5
            let x2 = Double(generator.below(1000)) / 100 - 5
            a.append(x1)
            b.append(x2)
            y.append(3 * x1 - 2 * x2 + 1 + Double(generator.below(100)) / 100)
            label.append(x1 + x2 + Double(generator.below(300)) / 100 > 1.5 ? "yes" : "no")
        }
        return try DataFrame(columns: [
            Column("a", doubles: a), Column("b", doubles: b), Column("y", doubles: y), Column("label", strings: label),
        ])
    }

    private func fit(_ estimator: EstimatorChoice) throws -> FittedPipeline {
        try Pipeline(steps: [.init("scale", .standardScaler(StandardScaler()))], estimator: estimator)
            .fit(try Self.data(), features: ["a", "b"], target: estimator.isClassifier ? "label" : "y")
    }

    @Test("Fitting twice gives equal models", arguments: estimators)
    func deterministic(_ estimator: EstimatorChoice) throws {
        #expect(try fit(estimator) == fit(estimator))
    }

    @Test("The JSON round trip predicts bit-identically", arguments: estimators)
    func roundTrip(_ estimator: EstimatorChoice) throws {
        let fitted = try fit(estimator)
        let encoded = try JSONEncoder().encode(fitted)
        let decoded = try JSONDecoder().decode(FittedPipeline.self, from: encoded)
        let frame = try Self.data()
        let before = try fitted.predict(frame)
        let after = try decoded.predict(frame)
        #expect(before.values?.map(\.bitPattern) == after.values?.map(\.bitPattern))
        #expect(before.probabilities?.values.map(\.bitPattern) == after.probabilities?.values.map(\.bitPattern))
        #expect(before.labels == after.labels)
    }

    @Test("A wrong schema throws, naming the missing feature", arguments: estimators)
    func wrongSchema(_ estimator: EstimatorChoice) throws {
        let fitted = try fit(estimator)
        let missing = try Self.data().dropping(["b"])
        let error = #expect(throws: MLError.self) { try fitted.predict(missing) }
        #expect(error?.code == .schemaMismatch)
        #expect(error?.message == "the input has no column 'b', which the model needs")
        let text = try Self.data().adding(Column("a", strings: (0..<200).map { "v\($0)" }))
        #expect(throws: MLError.self) { try fitted.predict(text) }
    }

    @Test("Infinity in a feature is refused on prediction, naming the feature and the row", arguments: estimators)
    func infinity(_ estimator: EstimatorChoice) throws {
        let fitted = try fit(estimator)
        var values = [Double](repeating: 0.5, count: 200)
        values[41] = -.infinity
        let frame = try Self.data().adding(Column("b", doubles: values))
        let error = #expect(throws: MLError.self) { try fitted.predict(frame) }
        #expect(error?.message == "feature 'b' is infinite in row 42")
    }

    @Test("A fixed seed gives the same split and the same artifact digest", arguments: estimators)
    func seeded(_ estimator: EstimatorChoice) throws {
        let spec = TrainingSpec(
            name: "conformance", data: "-", target: estimator.isClassifier ? "label" : "y", features: ["a", "b"],
            split: .init(method: estimator.isClassifier ? .stratified : .random, test: 0.25), estimator: estimator, seed: 11)
        let options = TrainingOptions(version: "test")
        let first = try Trainer.train(spec, frame: try Self.data(), options: options)
        let second = try Trainer.train(spec, frame: try Self.data(), options: options)
        #expect(try first.artifact.digest == second.artifact.digest)
        var other = spec
        other.seed = 12
        #expect(try Trainer.train(other, frame: try Self.data(), options: options).artifact.digest != first.artifact.digest)
    }
}

extension EstimatorChoice: CustomTestStringConvertible {
    public var testDescription: String { typeName }
}
