import ArgumentParser
import AsyncHTTPClient
import BatCatBatch
import BatCatCore
import BatCatData
import BatCatDeploy
import BatCatML
import BatCatRegistry
import BatCatServe
import BatCatStorage
import BatCatWorkflow
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import UnixSignals

extension BatCat {
    /// `batcat demo`: the whole product, end to end, on embedded defaults.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Run the whole slice in a fresh folder: scaffold, train, register, serve, call, score.",
            discussion: """
                Scaffolds a project, trains diabetes-bmi (linear regression on body-mass index) and \
                breast-cancer (imputation, scaling, logistic regression) from the bundled examples, \
                shows their metrics, registers and promotes both, serves diabetes-bmi on a free port \
                with an API key, calls /stream and /batch, scores a batch file with breast-cancer, \
                prints where everything is, stops the server and exits 0. Nothing leaves 127.0.0.1.

                Examples:
                  swift run batcat demo
                  batcat demo --dir /tmp/try-batcat --keep-serving
                """
        )

        @Option(
            help: ArgumentHelp(
                "Where to make the demo project (default: a new folder under the system's temporary folder).", valueName: "dir"))
        var dir: String?

        @Option(
            help: ArgumentHelp(
                "A folder of examples to use instead of the ones built into the binary (diabetes-bmi/diabetes.csv, breast-cancer/biopsy.csv).",
                valueName: "dir"))
        var examples: String?

        @Flag(name: .customLong("keep-serving"), help: "Leave the server running and print a curl line to try.")
        var keepServing = false

        @OptionGroup var global: GlobalOptions

        func run() async throws {
            var logger = try global.bootstrapLoggingFromConfiguration(label: "batcat.demo")
            logger.logLevel = global.verbose ? .debug : .warning
            let start = ContinuousClock.now
            let data = try Demo.exampleData(examples)
            let parent = URL(
                fileURLWithPath: dir
                    ?? FileManager.default.temporaryDirectory.appendingPathComponent(
                        "batcat-demo-\(getpid())-\(UInt16.random(in: 0...UInt16.max))"
                    ).path)
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            let project = try ProjectScaffold(name: "demo").create(in: parent, force: false)
            let root = project.folder
            func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
            Console.out("BatCat demo in \(root.path)\n\n")
            Console.out("1. Project   scaffolded demo/ (\(project.created.count) files): data/, model/, config.json, train.yaml, docs/\n")

            for (file, text) in data { try AtomicFile.write(Array(text.utf8), to: path("data/raw/\(file)")) }
            try Data(Demo.diabetesSpec.utf8).write(to: URL(fileURLWithPath: path("diabetes-bmi.yaml")))
            try Data(Demo.breastCancerSpec.utf8).write(to: URL(fileURLWithPath: path("breast-cancer.yaml")))
            let diabetes = try await Training.run(TrainingRequest(spec: path("diabetes-bmi.yaml")), logger: logger)
            let cancer = try await Training.run(TrainingRequest(spec: path("breast-cancer.yaml")), logger: logger)
            func metric(_ run: TrainingOutcome, _ name: String) -> String {
                "\(name) \(NumberFormatting.significant(run.result.artifact.metrics[name] ?? .nan, digits: 4))"
            }
            Console.out(
                "2. Train     diabetes-bmi   linear regression, \(metric(diabetes, "r2")), \(metric(diabetes, "rmse")) on the last 20 rows\n"
            )
            Console.out(
                "             breast-cancer  logistic regression, \(metric(cancer, "accuracy")), \(metric(cancer, "roc_auc")) on 140 held-out rows\n"
            )

            let registry = try Registry(
                databasePath: path("model/registry.sqlite"), store: try LocalObjectStore(root: path("model/artifacts")), logger: logger)
            var versions: [String: ModelVersion] = [:]
            for (name, run) in [("diabetes-bmi", diabetes), ("breast-cancer", cancer)] {
                let bytes = try await ObjectStores.read(run.output)
                let registered = try await registry.register(bytes, model: name, by: "demo", comment: "trained by batcat demo")
                versions[name] = try await registry.promote(name, version: registered.version, to: .production, by: "demo")
            }
            Console.out("3. Register  diabetes-bmi version 1 and breast-cancer version 1, both promoted to production\n")

            let (key, line) = APIKeys.generate(name: "demo")
            try AtomicFile.write(Array((line + "\n").utf8), to: path("keys.txt"))
            var configuration = ServeConfiguration()
            configuration.port = 0
            configuration.keys = try APIKeys.load(file: path("keys.txt"))
            let served = try await ModelLoader.load(.registered("diabetes-bmi", .stage(.production)), registry: { registry })
            let live = LiveModel(try ServedModel(name: served.name, version: served.version, sealed: served.sealed))
            let counters = Counters()
            let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
            let watcher = RegistryWatcher(
                registry: registry, model: "diabetes-bmi", selector: .stage(.production), interval: .seconds(2), live: live, logger: logger,
                counters: counters)
            let app = buildApplication(
                configuration: configuration, live: live, counters: counters, services: [watcher], logger: logger,
                onListening: { port in portContinuation.yield(port) })
            let group = ServiceGroup(
                configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            let server = Task { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CLIError("the demo server did not start") }
            let base = "http://127.0.0.1:\(port)"
            Console.out("4. Serve     diabetes-bmi version \(served.version ?? 1) on \(base), API key in demo/keys.txt\n")
            for (route, body) in [("/stream", #"{"x": [[0.3]]}"#), ("/batch", #"{"x": [[0.3], [0.3]]}"#)] {
                let answer = try await Demo.post(base + route, body: body, key: key)
                Console.out("             POST \(route) \(body) → \(answer)\n")
            }

            let scorer = BatchScorer(
                modelName: "breast-cancer", modelVersion: versions["breast-cancer"]?.version, artifact: try cancer.result.artifact.sealed(),
                input: try LocalObjectStore(root: path("data/raw")), output: try LocalObjectStore(root: path("data/result")),
                options: ScoreOptions(),
                logger: logger)
            let manifest = try await scorer.run(["biopsy.csv"])
            Console.out(
                "5. Score     data/raw/biopsy.csv → data/result/biopsy.predictions.csv (\(Console.grouped(manifest.files[0].rows)) rows, breast-cancer version 1)\n\n"
            )
            Console.out(
                """
                Everything is in \(root.path):
                  diabetes-bmi.yaml, breast-cancer.yaml   training specs
                  model/registry.sqlite                   the registry (versions, stages, audit trail)
                  model/artifacts/                        the artifacts, by digest
                  data/result/                            batch predictions and the run's manifest (_batcat/)
                  keys.txt                                the server's API key, stored as SHA-256

                """)
            if keepServing {
                Console.out(
                    "The server keeps running (Ctrl-C to stop). Try:\n  curl -H 'x-api-key: \(key)' -d '{\"x\": [[0.3]]}' \(base)/stream\n")
                try await server.value
                return
            }
            await group.triggerGracefulShutdown()
            try await server.value
            Console.err("Demo finished in \(Console.seconds(since: start)); the server stopped.\n")
        }

        /// The demo's data files by name: the examples built into the binary, or those of the folder given (which must
        /// hold them).
        static func exampleData(_ given: String?) throws -> [(name: String, text: String)] {
            guard let given else {
                return EmbeddedExamples.files.map { ((($0.path as NSString).lastPathComponent), $0.text) }
            }
            var out: [(name: String, text: String)] = []
            for (path, _) in EmbeddedExamples.files {
                let file = (given as NSString).appendingPathComponent(path)
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw CLIError(
                        "--examples \(given) has no readable \(path)",
                        hints: ["give a folder laid out as BatCat's examples/ (\(EmbeddedExamples.files.map(\.path).joined(separator: ", "))), or leave --examples out to use the built-in ones"])
                }
                out.append(((path as NSString).lastPathComponent, text))
            }
            return out
        }

        static func post(_ url: String, body: String, key: String) async throws -> String {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: body))
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "x-api-key", value: key)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let answer = String(buffer: try await response.body.collect(upTo: 1 << 24))
            guard response.status == .ok else { throw CLIError("the demo server answered \(url) with \(answer)") }
            return answer
        }

        static let diabetesSpec = """
            name: diabetes-bmi
            data: data/raw/diabetes.csv
            target: target
            features: [bmi]
            split: {method: ordered, test: 20}
            estimator: {type: linearRegression}
            gate: "r2 >= 0.2"
            output: model/diabetes-bmi.json

            """

        static let breastCancerSpec = ProjectScaffold.exampleSpec(name: "breast-cancer", register: false)
    }
}
