import BatCatData
import BatCatML
import Foundation
import Testing

/// References from Fixtures/make-fixtures.py (`defects`).
struct DefectFixture: Decodable {
    struct Unseen: Decodable {
        var train_x: [Double]
        var train_y: [Int]
        var test_x: [Double]
        var test_y: [Int]
        var predicted: [Int]
        var accuracy: Double
        var confusion: [[Int]]
        var precision_macro: Double
        var recall_macro: Double
        var f1_macro: Double
        var precision_weighted: Double
        var recall_weighted: Double
        var f1_weighted: Double
    }
    struct Tight: Decodable {
        var coefficients: [Double]
        var intercept: Double
        var lbfgs_coefficients: [Double]
        var lbfgs_intercept: Double
    }
    struct IllConditioned: Decodable {
        var x: [[Double]]
        var y: [Double]
        var coefficients: [Double]
        var intercept: Double
        var gram_condition: Double
    }
    struct PositiveZero: Decodable {
        var truth: [Int]
        var predicted: [Int]
        var precision: Double
        var recall: Double
        var f1: Double
    }
    struct Descent: Decodable {
        var x: [Double]
        var y: [Double]
        var w0: Double
        var b0: Double
        var learning_rate: Double
        var iterations: Int
        var w: Double
        var b: Double
        var first_loss: Double
        var last_loss: Double
    }
    var seed004: Descent
    var unseen_class: Unseen
    var tight_logistic: Tight
    var ill_conditioned: IllConditioned
    var positive_zero: PositiveZero

    static func load() throws -> DefectFixture { try Fixtures.load("defects.json", as: DefectFixture.self) }
}

@Suite("Evaluation: every row counts, and the positive class is the user's")
struct EvaluationTests {
    private func decode(_ json: String) throws -> TrainingSpec {
        try JSONDecoder().decode(TrainingSpec.self, from: Data(json.utf8))
    }

    private func unseenFrame(_ f: DefectFixture.Unseen) throws -> DataFrame {
        try DataFrame(columns: [
            Column("x", doubles: f.train_x + f.test_x), Column("y", ints: f.train_y + f.test_y),
        ])
    }

    @Test("A test class never seen in training counts as a miss; metrics equal scikit-learn's with labels= the union")
    func unseenClass() throws {
        let f = try DefectFixture.load().unseen_class
        let spec = try decode(
            #"{"name": "u", "data": "-", "target": "y", "split": {"method": "ordered", "test": 7}, "estimator": {"type": "logisticRegression"}, "gate": ["recall_macro >= 0.0"]}"#
        )
        let result = try Trainer.train(spec, frame: try unseenFrame(f), options: TrainingOptions(version: "t"))
        let m = result.artifact.metrics
        #expect(result.artifact.training.testRows == 7)
        #expect(close(m["accuracy"]!, f.accuracy, 1e-12))
        #expect(close(m["precision_macro"]!, f.precision_macro, 1e-12))
        #expect(close(m["recall_macro"]!, f.recall_macro, 1e-12))
        #expect(close(m["f1_macro"]!, f.f1_macro, 1e-12))
        #expect(close(m["precision_weighted"]!, f.precision_weighted, 1e-12))
        #expect(close(m["recall_weighted"]!, f.recall_weighted, 1e-12))
        #expect(close(m["f1_weighted"]!, f.f1_weighted, 1e-12))
        // Three classes in all, so the unsuffixed scores are macro averages too.
        #expect(close(m["recall"]!, f.recall_macro, 1e-12))
        #expect(result.artifact.confusionMatrix == f.confusion)
        #expect(result.artifact.confusionClasses == [.int(0), .int(1), .int(2)])
        #expect(m["log_loss"] == nil && m["roc_auc"] == nil)
        #expect(result.unavailable["log_loss"]?.contains("never saw") == true)
        #expect(result.warnings.count == 1)
        #expect(result.warnings.first?.contains("'2' (2 rows)") == true)
    }

    @Test("A gate on a metric the unseen class makes unavailable fails")
    func unseenClassGate() throws {
        let f = try DefectFixture.load().unseen_class
        let spec = try decode(
            #"{"name": "u", "data": "-", "target": "y", "split": {"method": "ordered", "test": 7}, "estimator": {"type": "logisticRegression"}, "gate": ["log_loss <= 10"]}"#
        )
        let result = try Trainer.train(spec, frame: try unseenFrame(f), options: TrainingOptions(version: "t"))
        #expect(!result.passed)
    }

    @Test("positiveClass sets the class binary precision, recall and F1 score; the default follows scikit-learn")
    func positiveClass() throws {
        let f = try DefectFixture.load().positive_zero
        let truth = f.truth.map { ClassLabel.int($0) }
        let predicted = f.predicted.map { ClassLabel.int($0) }
        let classes: [ClassLabel] = [.int(0), .int(1)]
        #expect(close(ClassificationMetrics.precision(truth, predicted, classes: classes, averaging: .binary, positive: .int(0)), f.precision, 1e-12))
        #expect(close(ClassificationMetrics.recall(truth, predicted, classes: classes, averaging: .binary, positive: .int(0)), f.recall, 1e-12))
        #expect(close(ClassificationMetrics.f1(truth, predicted, classes: classes, averaging: .binary, positive: .int(0)), f.f1, 1e-12))

        // Labels 1 and 2: scikit-learn's default positive label is 1, not the greater one.
        let frame = try DataFrame(columns: [
            Column("x", doubles: [-3, -2, -1, -0.5, 0.5, 1, 2, 3, -0.2, 0.1, 4, 5, 0.3]), Column("y", ints: [1, 1, 1, 2, 1, 2, 2, 2, 2, 1, 2, 2, 2]),
        ])
        let byDefault = try Trainer.train(
            try decode(#"{"name": "p", "data": "-", "target": "y", "estimator": {"type": "logisticRegression"}}"#), frame: frame,
            options: TrainingOptions(version: "t"))
        #expect(byDefault.artifact.pipeline.positiveClass == .int(1))
        let chosen = try Trainer.train(
            try decode(#"{"name": "p", "data": "-", "target": "y", "positiveClass": 2, "estimator": {"type": "logisticRegression"}}"#),
            frame: frame, options: TrainingOptions(version: "t"))
        #expect(chosen.artifact.pipeline.positiveClass == .int(2))
        let scores = { (m: [String: Double]) in [m["precision"], m["recall"], m["f1"]] }
        #expect(scores(byDefault.artifact.metrics) != scores(chosen.artifact.metrics))
        let again = try ModelArtifact.load(try chosen.artifact.fileBytes(), name: "p")
        #expect(again.pipeline.positiveClass == .int(2))
        #expect(throws: MLError.self) {
            try Trainer.train(
                try decode(#"{"name": "p", "data": "-", "target": "y", "positiveClass": "3", "estimator": {"type": "logisticRegression"}}"#),
                frame: frame, options: TrainingOptions(version: "t"))
        }
    }

    @Test("A classifier on a continuous target is refused before fitting, with a regressor suggested; maxClasses allows it")
    func continuousTarget() throws {
        let n = 300
        let frame = try DataFrame(columns: [
            Column("x", doubles: (0..<n).map { Double($0) }), Column("price", ints: (0..<n).map { 1000 + 7 * $0 }),
        ])
        let spec = try decode(#"{"name": "c", "data": "-", "target": "price", "estimator": {"type": "logisticRegression"}}"#)
        do {
            _ = try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "t"))
            Issue.record("a target of 300 distinct values trained a classifier")
        } catch {
            #expect(error.message.contains("300 distinct values"))
            #expect(error.hints.contains { $0.contains("linearRegression") })
            #expect(error.hints.contains { $0.contains("maxClasses") })
        }
        let fractions = try DataFrame(columns: [Column("x", doubles: [1, 2, 3, 4]), Column("y", doubles: [0.5, 1.5, 0.5, 1.5])])
        #expect(throws: MLError.self) {
            try Trainer.train(
                try decode(#"{"name": "c", "data": "-", "target": "y", "estimator": {"type": "logisticRegression"}}"#), frame: fractions,
                options: TrainingOptions(version: "t"))
        }
        let few = try DataFrame(columns: [
            Column("x", doubles: (0..<12).map { Double($0) }), Column("y", ints: (0..<12).map { $0 / 4 }),
        ])
        let allowed = try decode(
            #"{"name": "c", "data": "-", "target": "y", "maxClasses": 2, "estimator": {"type": "logisticRegression"}}"#)
        #expect(throws: MLError.self) { try Trainer.train(allowed, frame: few, options: TrainingOptions(version: "t")) }
        var raised = allowed
        raised.maxClasses = 3
        #expect(try Trainer.train(raised, frame: few, options: TrainingOptions(version: "t")).artifact.pipeline.classes?.count == 3)
    }

    @Test("features and exclude together: exclude removes from the listed features")
    func featuresWithExclude() throws {
        let spec = try decode(
            #"{"name": "d", "data": "-", "target": "target", "features": ["bmi", "bp", "s1"], "exclude": ["s1"], "estimator": {"type": "linearRegression"}}"#
        )
        let result = try Trainer.train(spec, frame: try Fixtures.diabetes(), options: TrainingOptions(version: "t"))
        #expect(result.artifact.pipeline.featureNames == ["bmi", "bp"])
        let none = try decode(
            #"{"name": "d", "data": "-", "target": "target", "features": ["bmi"], "exclude": ["bmi"], "estimator": {"type": "linearRegression"}}"#
        )
        let frame = try Fixtures.diabetes()
        let error = #expect(throws: MLError.self) { try Trainer.train(none, frame: frame, options: TrainingOptions(version: "t")) }
        #expect(error?.message.contains("every column under features is also under exclude") == true)
    }

    @Test("A missing fixture fails the suite instead of leaving its tests with nothing to check")
    func missingFixture() throws {
        #expect(throws: (any Error).self) { try Fixtures.load("no-such-fixture.json", as: [Fixtures.RegressionCase].self) }
        #expect(throws: Fixtures.EmptyFixture.self) { try Fixtures.nonEmpty([Int](), "empty.json") }
        #expect(try !Fixtures.regressionCases().isEmpty && !Fixtures.classificationCases().isEmpty)
    }
}
