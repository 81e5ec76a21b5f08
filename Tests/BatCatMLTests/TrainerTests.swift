import BatCatData
import BatCatML
import Foundation
import Testing

@Suite("Training from a spec")
struct TrainerTests {
    private func decode(_ json: String) throws -> TrainingSpec {
        try JSONDecoder().decode(TrainingSpec.self, from: Data(json.utf8))
    }

    @Test("The diabetes-bmi spec gives scikit-learn's metrics and passes its gate")
    func diabetes() throws {
        let spec = try decode(
            #"{"name": "diabetes-bmi", "data": "diabetes.csv", "target": "target", "features": ["bmi"], "split": {"method": "ordered", "test": 20}, "estimator": {"type": "linearRegression"}, "gate": "r2 >= 0.2"}"#
        )
        let result = try Trainer.train(spec, frame: try Fixtures.diabetes(), options: TrainingOptions(version: "t"))
        #expect(relativelyClose(result.artifact.metrics["r2"]!, 0.47257544798227147, 1e-9))
        #expect(relativelyClose(result.artifact.metrics["mse"]!, 2548.07239872597, 1e-9))
        #expect(result.passed)
        #expect(result.gate.map(\.condition.description) == ["r2 >= 0.2"])
    }

    @Test("The breast-cancer pipeline imputes, adds an indicator, scales and classifies 2 and 4")
    func breastCancer() throws {
        let spec = try decode(
            #"{"name": "bc", "data": "biopsy.csv", "target": "class", "exclude": ["id"], "split": {"method": "stratified", "test": 0.2}, "preprocessing": [{"name": "impute", "type": "simpleImputer", "strategy": "median", "addIndicator": true}, {"type": "standardScaler"}], "estimator": {"type": "logisticRegression"}, "gate": ["accuracy >= 0.9"], "seed": 7}"#
        )
        let result = try Trainer.train(spec, frame: try Fixtures.biopsy(), options: TrainingOptions(version: "t"))
        let pipeline = result.artifact.pipeline
        #expect(pipeline.classes == [.int(2), .int(4)])
        #expect(pipeline.modelInputs.last == "bare_nuclei_missing")
        #expect(pipeline.steps.map(\.name) == ["impute", "standardScaler-2"])
        #expect(result.artifact.metrics["accuracy"]! >= 0.93)
        #expect(result.artifact.metrics["roc_auc"]! >= 0.98)
        #expect(result.artifact.training.testRows == 140)
        #expect(result.passed)
    }

    @Test("A failed gate is reported with the value")
    func failedGate() throws {
        var spec = try decode(
            #"{"name": "d", "data": "-", "target": "target", "features": ["bmi"], "split": {"method": "ordered", "test": 20}, "estimator": {"type": "linearRegression"}}"#
        )
        spec.gate = ["r2 >= 0.9"]
        let result = try Trainer.train(spec, frame: try Fixtures.diabetes(), options: TrainingOptions(version: "t"))
        #expect(!result.passed)
        #expect(result.gate[0].value < 0.9)
    }

    @Test("Cross-validation reports each metric's mean and spread")
    func crossValidation() throws {
        var spec = try decode(#"{"name": "d", "data": "-", "target": "target", "estimator": {"type": "ridge", "alpha": 0.1}}"#)
        spec.crossValidation = 5
        let result = try Trainer.train(spec, frame: try Fixtures.diabetes(), options: TrainingOptions(version: "t"))
        let r2 = try #require(result.crossValidation?["r2"])
        #expect(r2.mean > 0.3 && r2.mean < 0.6 && r2.std > 0)
    }

    @Test("Unknown settings are errors that suggest the right name")
    func unknownSetting() {
        #expect {
            try decode(#"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "linearRegression", "learning_rate": 0.1}}"#)
        } throws: { error in
            "\(error)".contains("linearRegression has no setting 'learning_rate'") && "\(error)".contains("did you mean 'learningRate'?")
        }
        #expect(throws: (any Error).self) { try decode(#"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "forest"}}"#) }
        #expect(throws: (any Error).self) {
            try decode(#"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "ridge"}, "seeds": 3}"#)
        }
    }

    @Test("read: gives the data's delimiter, missing markers and types; a wrong one is named")
    func readSettings() throws {
        let spec = try decode(
            #"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "ridge"}, "read": {"delimiter": ";", "missing": ["-999"], "types": {"zip": "string"}, "parseDates": true}}"#
        )
        let options = try #require(try spec.read?.options())
        #expect(options.delimiter == UInt8(ascii: ";"))
        #expect(options.missingMarkers == ["-999"])
        #expect(options.types == ["zip": .string])
        #expect(options.parseDates)
        #expect(try TrainingSpec.ReadSpec(delimiter: "tab").options().delimiter == 0x09)
        // The encoded spec keeps the setting, and a spec without it encodes as before.
        let again = try JSONDecoder().decode(TrainingSpec.self, from: JSONEncoder().encode(spec))
        #expect(again.read == spec.read)
        let plain = try decode(#"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "ridge"}}"#)
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("read"))
        let wide = #expect(throws: MLError.self) { try TrainingSpec.ReadSpec(delimiter: ";;").options() }
        #expect(wide?.message == "read.delimiter ';;' cannot separate fields")
        let quote = #expect(throws: MLError.self) { try TrainingSpec.ReadSpec(delimiter: "\"").options() }
        #expect(quote?.code == .invalidSpec)
        let type = #expect(throws: MLError.self) { try TrainingSpec.ReadSpec(types: ["zip": "text"]).options() }
        #expect(type?.message == "read.types gives column 'zip' the type 'text', which is not a column type")
        #expect {
            try decode(#"{"name": "d", "data": "-", "target": "t", "estimator": {"type": "ridge"}, "read": {"separator": ";"}}"#)
        } throws: { error in
            "\(error)".contains("read has no setting 'separator'")
        }
    }

    @Test(
        "Spec mistakes about the data are named",
        arguments: [
            (
                #"{"name": "d", "data": "-", "target": "nope", "estimator": {"type": "ridge"}}"#,
                "the target column 'nope' is not in the data"
            ),
            (
                #"{"name": "d", "data": "-", "target": "target", "features": ["BMI"], "estimator": {"type": "ridge"}}"#,
                "the spec names a column 'BMI' that is not in the data"
            ),
            (
                #"{"name": "d", "data": "-", "target": "target", "estimator": {"type": "ridge"}, "gate": "accuracy > 0.5"}"#,
                "the gate 'accuracy > 0.5' names 'accuracy', which is not a regression metric"
            ),
            (
                #"{"name": "d", "data": "-", "target": "target", "estimator": {"type": "ridge"}, "gate": "r2>0.5"}"#,
                "the gate condition 'r2>0.5' is not of the form 'metric operator number'"
            ),
        ])
    func specErrors(json: String, message: String) throws {
        let spec = try decode(json)
        let error = #expect(throws: MLError.self) {
            try Trainer.train(spec, frame: try Fixtures.diabetes(), options: TrainingOptions(version: "t"))
        }
        #expect(error?.message == message)
    }

    @Test("Text in a numeric feature without an encoder is named, with the fix")
    func textFeature() throws {
        let frame = try DataFrame(columns: [Column("city", strings: ["a", "b", "a"]), Column("y", doubles: [1, 2, 3])])
        let error = #expect(throws: MLError.self) {
            try Pipeline(estimator: EstimatorChoice(LinearRegression())).fit(frame, features: ["city"], target: "y")
        }
        #expect(error?.message == "column 'city' holds text, not numbers")
        #expect(error?.hints == ["add a oneHotEncoder or ordinalEncoder step for text features"])
    }

    @Test("A missing, NaN or infinite target is refused, naming its row", arguments: [0, 1, 2])
    func badTarget(kind: Int) throws {
        var target: [Double?] = [1, 2, 3, 4, 5, 6]
        target[4] = [nil, Double.nan, -Double.infinity][kind]
        let frame = try DataFrame(columns: [Column("x", doubles: [1, 2, 3, 4, 5, 7]), Column("y", doubles: target)])
        let error = #expect(throws: MLError.self) {
            try Pipeline(estimator: EstimatorChoice(LinearRegression())).fit(frame, features: ["x"], target: "y")
        }
        #expect(error?.message == "the target 'y' is missing or not finite in row 5")
    }

    @Test("A class with one row cannot be split by strata")
    func stratifiedSingleton() {
        let labels: [ClassLabel] = [.int(1), .int(1), .int(1), .int(2)]
        let error = #expect(throws: MLError.self) { try ModelSelection.stratifiedSplit(labels: labels, testSize: 0.5, seed: 1) }
        #expect(error?.message == "class 2 has only 1 row; a stratified split needs at least 2 per class")
    }

    @Test("Splits and folds cover every row once and respect their sizes")
    func splits() throws {
        let random = try ModelSelection.randomSplit(rows: 10, testSize: 0.3, seed: 1)
        #expect(random.test.count == 3 && Set(random.train + random.test) == Set(0..<10))
        #expect(try ModelSelection.randomSplit(rows: 10, testSize: 0.3, seed: 1) == random)
        #expect(try ModelSelection.orderedSplit(rows: 10, testSize: 2).test == [8, 9])
        #expect(try ModelSelection.orderedSplit(rows: 10, testSize: 2, testAtStart: true).test == [0, 1])
        let folds = try ModelSelection.kFold(rows: 10, folds: 3, seed: nil)
        #expect(folds.map(\.test.count) == [3, 3, 4])
        #expect(folds.flatMap(\.test).sorted() == Array(0..<10))
        let labels: [ClassLabel] = (0..<12).map { .int($0 % 3) }
        for fold in try ModelSelection.stratifiedKFold(labels: labels, folds: 4, seed: 3) {
            #expect(Set(fold.test.map { labels[$0] }).count == 3)
        }
        #expect(throws: MLError.self) { try ModelSelection.randomSplit(rows: 10, testSize: 10, seed: 1) }
    }

    @Test("An unknown category at predict time names the column")
    func unknownAtPredict() throws {
        let train = try DataFrame(columns: [Column("city", strings: ["a", "b", "a", "b"]), Column("y", doubles: [1, 2, 1.5, 2.5])])
        let fitted = try Pipeline(steps: [.init("encode", .oneHotEncoder(OneHotEncoder()))], estimator: EstimatorChoice(Ridge()))
            .fit(train, features: ["city"], target: "y")
        let error = #expect(throws: MLError.self) { try fitted.predict(try DataFrame(columns: [Column("city", strings: ["c"])])) }
        #expect(error?.code == .unknownCategory)
    }
}
