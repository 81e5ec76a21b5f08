import BatCatData
import BatCatML
import BatCatServe
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Models to serve in tests, trained on the shipped examples.
enum TestModels {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("examples")

    static func train(_ example: String, _ specJSON: String) throws -> ModelArtifact {
        let spec = try JSONDecoder().decode(TrainingSpec.self, from: Data(specJSON.utf8))
        let frame = try CSVReader().read(path: examples.appendingPathComponent(example).path)
        return try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "test")).artifact
    }

    static let diabetes = try! train(
        "diabetes-bmi/diabetes.csv",
        #"{"name": "diabetes-bmi", "data": "-", "target": "target", "features": ["bmi"], "split": {"method": "ordered", "test": 20}, "estimator": {"type": "linearRegression"}}"#
    )

    static let biopsy = try! train(
        "breast-cancer/biopsy.csv",
        #"{"name": "bc", "data": "-", "target": "class", "exclude": ["id"], "preprocessing": [{"type": "simpleImputer", "strategy": "median", "addIndicator": true}, {"type": "standardScaler"}], "estimator": {"type": "logisticRegression"}}"#
    )
}

let testKey = "bck_test-key"

func makeApp(
    _ artifact: ModelArtifact = TestModels.diabetes, keys: Bool = true, rate: (Double, Double)? = nil, maxBody: Int = 1 << 20,
    capture: Capture? = nil
) throws -> (some ApplicationProtocol, LiveModel) {
    var configuration = ServeConfiguration()
    configuration.port = 0
    if keys { configuration.keys = try APIKeys(digests: [("tests", APIKeys.digest(of: testKey))]) }
    configuration.rateLimit = rate.map { (rate: $0.0, burst: $0.1) }
    configuration.maxBodyBytes = maxBody
    let live = LiveModel(try ServedModel(name: artifact.name, version: 1, artifact: artifact))
    return (
        buildApplication(configuration: configuration, live: live, counters: Counters(), capture: capture, logger: Logger(label: "test")),
        live
    )
}

extension TestClientProtocol {
    func post(
        _ uri: String, _ body: String, key: String? = testKey, contentType: String = "application/json", accept: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let key { headers[HTTPField.Name("x-api-key")!] = key }
        if let accept { headers[.accept] = accept }
        return try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}

@Suite("The prediction server")
struct ServerTests {
    @Test("/stream returns one number and /batch one list per row, with the model version")
    func contract() async throws {
        let (app, _) = try makeApp()
        let expected = try TestModels.diabetes.pipeline.predict(try DataFrame(columns: [Column("bmi", doubles: [0.3])])).values![0]
        try await app.test(.router) { client in
            let stream = try await client.post("/stream", #"{"x": [[0.3]]}"#)
            #expect(stream.status == .ok)
            #expect(String(buffer: stream.body) == NumberFormatting.shortest(expected))
            #expect(stream.headers[HTTPField.Name("x-model-version")!] == "1")
            let batch = try await client.post("/batch", #"{"x": [[0.3], [0.3]]}"#)
            #expect(String(buffer: batch.body) == "[[\(NumberFormatting.shortest(expected))],[\(NumberFormatting.shortest(expected))]]")
        }
    }

    @Test("Records and MLflow's formats give the same predictions as rows")
    func formats() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let reference = String(buffer: try await client.post("/batch", #"{"x": [[0.05], [-0.02]]}"#).body)
            for body in [
                #"{"records": [{"bmi": 0.05}, {"bmi": -0.02}]}"#,
                #"{"dataframe_split": {"columns": ["bmi"], "data": [[0.05], [-0.02]]}}"#,
                #"{"dataframe_records": [{"bmi": 0.05}, {"bmi": -0.02}]}"#,
                #"{"instances": [[0.05], [-0.02]]}"#,
                #"{"inputs": [{"bmi": 0.05}, {"bmi": -0.02}]}"#,
            ] {
                let response = try await client.post("/batch", body)
                #expect(String(buffer: response.body) == reference, "\(body)")
            }
        }
    }

    @Test("SageMaker's contract: /ping, and /invocations with JSON or CSV")
    func sagemaker() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/ping", method: .get).status == .ok)
            let json = try await client.post("/invocations", #"{"instances": [[0.1]]}"#)
            #expect(String(buffer: json.body).hasPrefix("{\"predictions\":["))
            let csv = try await client.post("/invocations", "0.1\n0.2\n", contentType: "text/csv")
            #expect(csv.headers[.contentType] == "text/csv")
            #expect(String(buffer: csv.body).split(separator: "\n").count == 2)
        }
    }

    @Test("Classifiers return labels as given, and probabilities when asked")
    func classifier() async throws {
        let (app, _) = try makeApp(TestModels.biopsy)
        try await app.test(.router) { client in
            let benign = "[5, 1, 1, 1, 2, 1, 3, 1, 1]"
            let stream = try await client.post("/stream", "{\"x\": [\(benign)]}")
            #expect(String(buffer: stream.body) == "2")
            let proba = try await client.post("/stream?proba=true", "{\"x\": [\(benign)]}")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(proba.body.readableBytesView)) as? [String: Any])
            #expect(object["prediction"] as? Int == 2)
            #expect(object["classes"] as? [Int] == [2, 4])
            #expect((object["probabilities"] as? [Double])?.reduce(0, +) ?? 0 > 0.999)
            let missing = try await client.post("/stream", #"{"x": [[5, 1, 1, 1, 2, null, 3, 1, 1]]}"#)
            #expect(missing.status == .ok)
        }
    }

    @Test("Authentication: a missing or wrong key is 401, a right one passes; open routes need none")
    func authentication() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let missing = try await client.post("/stream", #"{"x": [[0.3]]}"#, key: nil)
            #expect(missing.status == .unauthorized)
            #expect(
                String(buffer: missing.body) == #"{"error":{"code":"missing_api_key","message":"send an API key in the x-api-key header"}}"#
            )
            #expect(try await client.post("/stream", #"{"x": [[0.3]]}"#, key: "bck_wrong").status == .unauthorized)
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/v1/models", method: .get).status == .ok)
        }
    }

    @Test("The rate limit answers 429 with Retry-After once a key's burst is spent")
    func rateLimit() async throws {
        // One request per 1,000 s refills the burst: a slow machine cannot earn a token back mid-test.
        let (app, _) = try makeApp(rate: (0.001, 2))
        try await app.test(.router) { client in
            #expect(try await client.post("/stream", #"{"x": [[0.3]]}"#).status == .ok)
            #expect(try await client.post("/stream", #"{"x": [[0.3]]}"#).status == .ok)
            let limited = try await client.post("/stream", #"{"x": [[0.3]]}"#)
            #expect(limited.status == .tooManyRequests)
            // About 1,000 s, less whatever the slow test took since the burst was spent.
            #expect(limited.headers[.retryAfter].flatMap { Int($0) }.map { (900...1000).contains($0) } == true)
        }
    }

    @Test("A body over the limit is 413")
    func bodyLimit() async throws {
        let (app, _) = try makeApp(maxBody: 64)
        try await app.test(.router) { client in
            let rows = Array(repeating: "[0.3]", count: 50).joined(separator: ",")
            let response = try await client.post("/batch", "{\"x\": [\(rows)]}")
            #expect(response.status == .contentTooLarge)
            #expect(String(buffer: response.body).contains("\"code\":\"body_too_large\""))
        }
    }

    @Test(
        "Bad input is 400 or 422 naming the row and feature, never 500",
        arguments: [
            (#"{"x": [[0.3, 1]]}"#, 422, "row 0 has 2 values but the model takes 1 features"),
            (#"{"x": [["a"]]}"#, 422, "row 0, feature 'bmi': expected a number"),
            (#"{"x": [[0.3], [null]]}"#, 422, "row 1, feature 'bmi' is missing, and the model has no imputer for it"),
            (#"{"x": []}"#, 422, "the input is empty: send at least one row"),
            (#"{"x": [[1e999]]}"#, 422, "row 0, feature 'bmi': NaN and infinity are not accepted"),
            (#"{"x": [[0.3]"#, 400, "the body is not valid JSON"),
            (
                #"{"rows": [[0.3]]}"#, 422,
                "the body has none of the accepted keys: x, records, dataframe_split, dataframe_records, instances, inputs"
            ),
            (#"{"records": [{"age": 1}]}"#, 422, "row 0 has no feature 'bmi'"),
            (#"{"x": [[0.3], [0.4]]}"#, 422, "/stream takes exactly one row, not 2; send several rows to /batch"),
        ])
    func badInput(body: String, status: Int, message: String) async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let response = try await client.post("/stream", body)
            #expect(response.status.code == status)
            let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: [String: String]]
            #expect(object?["error"]?["message"] == message)
        }
    }

    @Test("An unknown category in named records is 422")
    func unknownCategory() async throws {
        let artifact = try TestModels.train(
            "breast-cancer/biopsy.csv",
            #"{"name": "x", "data": "-", "target": "class", "features": ["clump_thickness"], "preprocessing": [{"type": "oneHotEncoder", "columns": ["clump_thickness"]}], "estimator": {"type": "logisticRegression"}}"#
        )
        _ = artifact
        let frame = try DataFrame(columns: [Column("c", strings: ["a", "b", "a", "b"]), Column("y", ints: [1, 2, 1, 2])])
        let spec = TrainingSpec(
            name: "cat", data: "-", target: "y", features: ["c"], preprocessing: [.init("onehot", .oneHotEncoder(OneHotEncoder()))],
            estimator: EstimatorChoice(LogisticRegression()))
        let categorical = try Trainer.train(spec, frame: frame, options: TrainingOptions(version: "t")).artifact
        let (app, _) = try makeApp(categorical)
        try await app.test(.router) { client in
            #expect(try await client.post("/stream", #"{"records": [{"c": "a"}]}"#).status == .ok)
            let unknown = try await client.post("/stream", #"{"records": [{"c": "z"}]}"#)
            #expect(unknown.status == .unprocessableContent)
            #expect(String(buffer: unknown.body).contains("column 'c' has a category not seen in training"))
        }
    }

    @Test("Swapping the model changes the version of the next responses")
    func swap() async throws {
        let (app, live) = try makeApp()
        try await app.test(.router) { client in
            #expect(try await client.post("/stream", #"{"x": [[0.3]]}"#).headers[HTTPField.Name("x-model-version")!] == "1")
            live.swap(to: try ServedModel(name: "diabetes-bmi", version: 2, artifact: TestModels.diabetes))
            #expect(try await client.post("/stream", #"{"x": [[0.3]]}"#).headers[HTTPField.Name("x-model-version")!] == "2")
        }
    }

    @Test("/metrics counts requests by route and status; /v1/models describes the model")
    func metricsAndModels() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            _ = try await client.post("/stream", #"{"x": [[0.3]]}"#)
            _ = try await client.post("/stream", #"{"x": [[0.3]]}"#, key: nil)
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"batcat_requests_total{route="/stream",status="200",variant="1"} 1"#))
            #expect(metrics.contains(#"batcat_requests_total{route="/stream",status="401",variant="1"} 1"#))
            #expect(metrics.contains("batcat_request_duration_seconds"))
            let models =
                try JSONSerialization.jsonObject(
                    with: Data(try await client.execute(uri: "/v1/models", method: .get).body.readableBytesView)) as? [String: Any]
            let first = (models?["models"] as? [[String: Any]])?.first
            #expect(first?["name"] as? String == "diabetes-bmi")
            #expect((first?["digest"] as? String)?.hasPrefix("sha256:") == true)
            #expect(first?["fastPath"] as? Bool == true)
        }
    }

    @Test("Every path in /openapi.json answers (none is a 404), and no route is missing from it")
    func openAPI() async throws {
        let (app, _) = try makeApp()
        try await app.test(.router) { client in
            let document =
                try JSONSerialization.jsonObject(
                    with: Data(try await client.execute(uri: "/openapi.json", method: .get).body.readableBytesView)) as? [String: Any]
            let paths = try #require(document?["paths"] as? [String: [String: Any]])
            #expect(
                Set(paths.keys) == [
                    "/stream", "/batch", "/invocations", "/ping", "/health", "/ready", "/metrics", "/openapi.json", "/v1/models",
                ])
            for (path, operations) in paths {
                let method: HTTPRequest.Method = operations["post"] != nil ? .post : .get
                var headers: HTTPFields = [HTTPField.Name("x-api-key")!: testKey, .contentType: "application/json"]
                headers[.accept] = "application/json"
                let response = try await client.execute(
                    uri: path, method: method, headers: headers, body: ByteBuffer(string: #"{"x": [[0.3]]}"#))
                #expect(response.status == .ok, "\(path): \(response.status)")
            }
            #expect(try await client.execute(uri: "/nothing", method: .get).status == .notFound)
        }
    }

    @Test("Capture writes sampled requests and responses as JSON lines")
    func capture() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-capture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = Capture(folder: folder.path, fraction: 1, logger: Logger(label: "test"), counters: Counters())
        let (app, _) = try makeApp(capture: capture)
        try await app.test(.live) { client in
            for _ in 0..<3 { _ = try await client.post("/stream", #"{"x": [[0.3]]}"#) }
            var lines: [String] = []
            for _ in 0..<50 where lines.count < 3 {
                try await Task.sleep(for: .milliseconds(20))
                let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                lines = files.flatMap {
                    (try? String(contentsOfFile: folder.appendingPathComponent($0).path, encoding: .utf8))?.split(separator: "\n") ?? []
                }.map(String.init)
            }
            #expect(lines.count == 3)
            let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
            #expect(record["route"] as? String == "/stream")
            #expect((record["request"] as? [String: Any])?["x"] != nil)
            #expect(record["response"] is Double)
        }
    }
}

@Suite("A/B variants")
struct VariantTests {
    @Test("Each key sticks to one weighted variant; the variant is in a header and in the metrics")
    func variants() async throws {
        let names = (0..<12).map { "caller\($0)" }
        var configuration = ServeConfiguration()
        configuration.port = 0
        configuration.keys = try APIKeys(digests: names.map { ($0, APIKeys.digest(of: "key-\($0)")) })
        let champion = try ServedModel(name: "diabetes-bmi", version: 1, artifact: TestModels.diabetes)
        let challenger = try ServedModel(name: "diabetes-bmi", version: 2, artifact: TestModels.diabetes)
        let live = LiveModel(variants: [
            .init(name: "champion", weight: 50, model: champion), .init(name: "challenger", weight: 50, model: challenger),
        ])
        let counters = Counters()
        let app = buildApplication(configuration: configuration, live: live, counters: counters, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            var seen: [String: String] = [:]
            for name in names {
                for _ in 0..<3 {
                    let response = try await client.post("/stream", #"{"x": [[0.3]]}"#, key: "key-\(name)")
                    #expect(response.status == .ok)
                    let variant = try #require(response.headers[HTTPField.Name("x-model-variant")!])
                    #expect(seen[name] == nil || seen[name] == variant, "\(name) moved between variants")
                    seen[name] = variant
                    #expect(response.headers[HTTPField.Name("x-model-version")!] == (variant == "champion" ? "1" : "2"))
                }
            }
            #expect(Set(seen.values) == ["champion", "challenger"])
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"variant="challenger""#) && metrics.contains(#"variant="champion""#))
        }
    }
}
