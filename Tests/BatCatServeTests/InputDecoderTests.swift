import BatCatData
import BatCatML
import BatCatServe
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A model with a number, a text and a boolean feature.
enum MixedModel {
    static let artifact: ModelArtifact = {
        var size: [Double] = []
        var colour: [String] = []
        var flag: [Bool] = []
        var y: [Double] = []
        for i in 0..<40 {
            size.append(Double(i % 7))
            colour.append(["red", "green", "blue"][i % 3])
            flag.append(i % 2 == 0)
            let shift: Double = (i % 3 == 0 ? 5 : 0) + (i % 2 == 0 ? 1 : 0)
            y.append(2 * size[i] + shift + 0.01 * Double(i))
        }
        let frame = try! DataFrame(columns: [
            Column("size", doubles: size), Column("colour", strings: colour), Column("flag", bools: flag), Column("y", doubles: y),
        ])
        let spec = try! JSONDecoder().decode(
            TrainingSpec.self,
            from: Data(
                #"{"name": "mixed", "data": "-", "target": "y", "preprocessing": [{"type": "oneHotEncoder", "columns": ["colour"]}], "estimator": {"type": "ridge", "alpha": 0.01}}"#
                    .utf8))
        return try! Trainer.train(spec, frame: frame, options: TrainingOptions(version: "test")).artifact
    }()

    static func expected(size: Double, colour: String, flag: Bool) throws -> Double {
        try artifact.pipeline.predict(
            DataFrame(columns: [Column("size", doubles: [size]), Column("colour", strings: [colour]), Column("flag", bools: [flag])])
        ).values![0]
    }
}

@Suite("Request bodies: numbers are numbers, every feature type in every format, errors by feature name")
struct InputDecoderTests {
    @Test("JSON 0 and 1 are numbers for a numeric feature on every path; true is refused there")
    func zeroAndOne() async throws {
        let (app, _) = try makeApp()
        @Sendable func predict(_ bmi: Double) throws -> Double {
            try TestModels.diabetes.pipeline.predict(try DataFrame(columns: [Column("bmi", doubles: [bmi])])).values![0]
        }
        try await app.test(.router) { client in
            for (body, bmi) in [
                (#"{"records": [{"bmi": 0}]}"#, 0.0), (#"{"records": [{"bmi": 1}]}"#, 1.0), (#"{"dataframe_records": [{"bmi": 0.0}]}"#, 0.0),
                (#"{"dataframe_split": {"columns": ["bmi"], "data": [[1]]}}"#, 1.0), (#"{"instances": [{"bmi": 1}]}"#, 1.0),
                (#"{"instances": [[0]]}"#, 0.0), (#"{"inputs": [[1]]}"#, 1.0),
            ] {
                let response = try await client.post("/stream", body)
                #expect(response.status == .ok, "\(body): \(String(buffer: response.body))")
                #expect(String(buffer: response.body) == NumberFormatting.shortest(try predict(bmi)), "\(body)")
            }
            let boolean = try await client.post("/stream", #"{"records": [{"bmi": true}]}"#)
            #expect(boolean.status == .unprocessableContent)
            #expect(String(buffer: boolean.body).contains("'bmi'"))
        }
    }

    @Test("{\"x\": rows} take text and boolean features as records do")
    func rowsWithText() async throws {
        let (app, _) = try makeApp(MixedModel.artifact)
        let expected = NumberFormatting.shortest(try MixedModel.expected(size: 3, colour: "green", flag: true))
        try await app.test(.router) { client in
            let rows = try await client.post("/stream", #"{"x": [[3, "green", true]]}"#)
            #expect(rows.status == .ok, "\(String(buffer: rows.body))")
            #expect(String(buffer: rows.body) == expected)
            let records = try await client.post("/stream", #"{"records": [{"size": 3, "colour": "green", "flag": 1}]}"#)
            #expect(String(buffer: records.body) == expected)
            let wrong = try await client.post("/stream", #"{"x": [[3, "green", "maybe"]]}"#)
            #expect(wrong.status == .unprocessableContent)
            #expect(String(buffer: wrong.body).contains("'flag'"))
        }
    }

    @Test("CSV bodies read boolean columns, and errors name the feature, not its position")
    func csvBooleans() async throws {
        let (app, _) = try makeApp(MixedModel.artifact)
        let expected = NumberFormatting.shortest(try MixedModel.expected(size: 2, colour: "red", flag: false))
        try await app.test(.router) { client in
            let response = try await client.post("/invocations", "2,red,false\n", contentType: "text/csv")
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(String(buffer: response.body).trimmingCharacters(in: .whitespacesAndNewlines) == expected)
            let bad = try await client.post("/invocations", "2,red,maybe\n", contentType: "text/csv")
            #expect(bad.status == .unprocessableContent)
            let text = String(buffer: bad.body)
            #expect(text.contains("flag") && !text.contains("column_3"), "\(text)")
        }
    }

    @Test("Infinity in a numeric feature is a 422 naming the feature, by CSV and by records")
    func infinity() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let csv = try await client.post("/invocations", "0.1\ninf\n", contentType: "text/csv")
            #expect(csv.status == .unprocessableContent)
            #expect(String(buffer: csv.body).contains("'bmi' is infinite in row 2"), "\(String(buffer: csv.body))")
            let records = try await client.post("/batch", #"{"records": [{"bmi": 1e999}]}"#)
            #expect(records.status == .unprocessableContent || records.status == .badRequest)
            let rows = try await client.post("/batch", #"{"x": [[1e999]]}"#)
            #expect(rows.status == .unprocessableContent)
        }
    }

    @Test("The server keeps to its OpenAPI document: 405 with Allow, a bad proba and a second format key refused, no overflow")
    func contract() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let trace = try await client.execute(uri: "/stream", method: .init("TRACE")!)
            #expect(trace.status == .methodNotAllowed && trace.headers[.allow] == "POST")
            let put = try await client.execute(uri: "/health", method: .put)
            #expect(put.status == .methodNotAllowed && put.headers[.allow] == "GET, HEAD")
            #expect(try await client.post("/stream?proba=maybe", #"{"x": [[0.3]]}"#).status == .badRequest)
            let two = try await client.post("/batch", #"{"x": [[0.3]], "records": [{"bmi": 0.3}]}"#)
            #expect(two.status == .unprocessableContent && String(buffer: two.body).contains("also 'records'"))
            let huge = try await client.post("/batch", #"{"records": [{"bmi": 1.7e308}]}"#)
            #expect(huge.status == .unprocessableContent && String(buffer: huge.body).contains("beyond ±1e100"))
            let empty = try await client.post("/batch", #"{"dataframe_records": []}"#)
            #expect(empty.status == .unprocessableContent)
            let twice = try await client.post("/batch", #"{"dataframe_split": {"columns": ["bmi", "bmi"], "data": [[1, 2]]}}"#)
            #expect(twice.status == .unprocessableContent && String(buffer: twice.body).contains("'bmi' twice"))
        }
    }

    @Test("Numbers are read exactly on every path: the bound itself and the last digit of a double")
    func exactNumbers() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            for text in ["1e100", "-1e100", "0.30000000000000004", "9.999999999999999e99", "2.2250738585072014e-308"] {
                let rows = try await client.post("/batch", #"{"x": [["# + text + "]]}")
                let records = try await client.post("/batch", #"{"records": [{"bmi": "# + text + "}]}")
                let split = try await client.post("/batch", #"{"dataframe_split": {"columns": ["bmi"], "data": [["# + text + "]]}}")
                #expect(rows.status == .ok, "\(text): \(String(buffer: rows.body))")
                let expected = try TestModels.diabetes.pipeline.predict(try DataFrame(columns: [Column("bmi", doubles: [Double(text)!])])).values!
                #expect(String(buffer: rows.body).contains(NumberFormatting.shortest(expected[0])), "\(text)")
                #expect(String(buffer: records.body) == String(buffer: rows.body), "\(text)")
                #expect(String(buffer: split.body) == String(buffer: rows.body), "\(text)")
            }
        }
    }
}
