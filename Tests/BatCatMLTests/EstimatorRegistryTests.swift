import BatCatData
import BatCatML
import Foundation
import Testing

/// A kind added from outside BatCatML, as a new estimator is: this type and one `Estimators.register` line.
/// It predicts `shift` plus the training mean of the target, whatever the row.
struct MeanBaseline: EstimatorKind {
    static let typeName = "meanBaseline"
    static let summary = "the training mean of the target, plus a shift"
    static let settingsSummary = "`shift` (0)"
    static let predictsClasses = false
    static let trainingLayout = InputLayout.columns
    var shift = 0.0

    init(shift: Double = 0) {
        self.shift = shift
    }

    /// Every setting optional, an unknown one refused, as the built-in kinds decode theirs.
    init(from decoder: any Decoder) throws {
        let settings = try decoder.settings(Self.typeName, allowed: ["shift"])
        self.init(shift: try settings.value("shift", default: 0))
    }

    var specName: String { Self.typeName }
    var label: String { "mean-baseline (shift \(shift))" }

    struct Model: TrainedModel {
        static let modelTypeName = "mean"
        static let predictionLayout = InputLayout.columns
        var mean: Double
        var featureCount: Int
        var classLabels: [ClassLabel]? { nil }

        func predict(_ x: Design) throws(MLError) -> Predictions {
            Predictions(values: [Double](repeating: mean, count: x.rows))
        }
    }

    func fit(_ x: Design, target: TrainingTarget) throws(MLError) -> Model {
        let y = try target.values(for: Self.typeName)
        return Model(mean: y.reduce(0, +) / Double(max(y.count, 1)) + shift, featureCount: x.columns)
    }
}

@Suite("The estimator registry")
struct EstimatorRegistryTests {
    /// A spec naming `type` with default settings, on the conformance data.
    private func spec(_ type: String, classifier: Bool, extra: String = "") throws -> TrainingSpec {
        let text = #"{"name": "k", "data": "-", "target": "\#(classifier ? "label" : "y")", "features": ["a", "b"], "estimator": {"type": "\#(type)"\#(extra)}}"#
        return try JSONDecoder().decode(TrainingSpec.self, from: Data(text.utf8))
    }

    @Test("Every registered kind goes spec → fit → artifact → load → predict, with identical predictions")
    func roundTripEveryKind() throws {
        Estimators.register(MeanBaseline.self)
        let frame = try ConformanceTests.data()
        #expect(Estimators.kinds.count >= 5)
        for kind in Estimators.kinds {
            let spec = try spec(kind.typeName, classifier: kind.predictsClasses)
            #expect(spec.estimator.isClassifier == kind.predictsClasses, "\(kind.typeName)")
            let artifact = try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "test")).artifact
            let loaded = try ModelArtifact.load(try artifact.fileBytes(), name: "\(kind.typeName).json")
            #expect(loaded == artifact, "\(kind.typeName)")
            #expect(try loaded.digest == artifact.digest, "\(kind.typeName)")
            let before = try artifact.pipeline.predict(frame)
            let after = try loaded.pipeline.predict(frame)
            #expect(after == before, "\(kind.typeName)")
            #expect(after.count == frame.rowCount, "\(kind.typeName)")
        }
    }

    @Test("A kind registered from outside is trained from a spec, stored and read back")
    func toyEstimator() throws {
        Estimators.register(MeanBaseline.self)
        #expect(Estimators.typeNames.contains("meanBaseline"))
        let spec = try spec("meanBaseline", classifier: false, extra: #", "shift": 2"#)
        #expect(spec.estimator.as(MeanBaseline.self)?.shift == 2)
        #expect(spec.estimator.label == "mean-baseline (shift 2.0)")
        let frame = try ConformanceTests.data()
        let result = try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "test"))
        let text = String(decoding: try result.artifact.fileBytes(), as: UTF8.self)
        #expect(text.contains(#""type" : "mean""#) && text.contains(#""type" : "meanBaseline""#))
        let loaded = try ModelArtifact.load(try result.artifact.fileBytes(), name: "mean.json")
        let values = try #require(try loaded.pipeline.predict(frame).values)
        #expect(Set(values).count == 1)
        #expect(loaded.pipeline.model.as(MeanBaseline.Model.self) != nil)
        // Not compiled for serving: it has no row formula, so it is served through the frame path.
        #expect(loaded.pipeline.compiled() == nil)
    }

    @Test("An unknown estimator type names the registered ones and the nearest")
    func unknownType() throws {
        let error = #expect(throws: (any Error).self) { try spec("lasoo", classifier: false) }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("did you mean 'lasso'"), "\(text)")
        #expect(text.contains("linearRegression, ridge, lasso, logisticRegression"), "\(text)")
    }
}
