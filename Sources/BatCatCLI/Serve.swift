import ArgumentParser
import BatCatCore
import BatCatData
import BatCatML
import BatCatRegistry
import BatCatServe
import BatCatWorkflow
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

extension BatCat {
    /// `batcat serve`: the prediction server.
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve a model over HTTP: /stream, /batch, /invocations, health, metrics and OpenAPI.",
            discussion: """
                Serves the production version of a registered model (or --model-version, --alias), and swaps \
                to a newly promoted version without dropping a request; or serves one artifact file. \
                Prediction routes need an x-api-key from the keys file (batcat keys new NAME makes one). \
                SIGTERM or Ctrl-C stops accepting, finishes the requests in flight, and exits 0.

                Examples:
                  batcat serve --model diabetes --keys-file keys.txt
                  batcat serve --artifact model.json --port 9000 --no-auth
                  curl -H "x-api-key: $KEY" -d '{"x": [[0.3]]}' http://127.0.0.1:8080/stream

                It listens on 127.0.0.1 unless --host says otherwise. GET /ping and POST /invocations \
                follow SageMaker's inference routes (application/json or text/csv); running as a \
                SageMaker container (/opt/ml, port 8080 on every address) is not part of this version.
                """
        )

        @Option(help: "The registered model to serve.") var model: String?
        @Option(help: "Serve the version in this stage (default production).") var stage: Stage?
        @Option(name: .customLong("model-version"), help: ArgumentHelp("Serve this version of the model.", valueName: "n")) var version: Int?
        @Option(help: "Serve the version this alias points at.") var alias: String?
        @Option(help: ArgumentHelp("Serve this artifact file instead of a registered model.", valueName: "path")) var artifact: String?
        @Option(
            help: ArgumentHelp(
                "A/B test: serve the version an alias (or a version number) picks, with a weight. Repeat for each variant; each API key sticks to one.",
                valueName: "name=weight"))
        var variant: [String] = []
        @Option(help: "The address to listen on.") var host: String?
        @Option(help: "The port (0 picks a free one).") var port: Int?
        @Option(name: .customLong("keys-file"), help: ArgumentHelp("API keys, one 'name sha256:<hex>' per line.", valueName: "path"))
        var keysFile: String?
        @Flag(name: .customLong("no-auth"), help: "Serve without API keys (prints a warning).") var noAuth = false
        @Option(name: .customLong("rate-limit"), help: ArgumentHelp("Requests a second per key (token bucket).", valueName: "n"))
        var rateLimit: Double?
        @Option(help: ArgumentHelp("The largest burst per key (default: twice the rate).", valueName: "n")) var burst: Double?
        @Option(name: .customLong("capture-dir"), help: ArgumentHelp("Capture sampled requests as JSON lines here.", valueName: "dir"))
        var captureDirectory: String?
        @Option(name: .customLong("capture-fraction"), help: ArgumentHelp("The share of requests captured, 0 to 1.", valueName: "f"))
        var captureFraction: Double?
        @Option(name: .customLong("watch-interval"), help: ArgumentHelp("Seconds between registry checks.", valueName: "s"))
        var watchInterval: Double = 2
        @Option(name: .customLong("max-body-mb"), help: "The largest request body, in MiB.") var maxBodyMegabytes: Int = 8
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if let port, !(0...65535).contains(port) {
                throw ValidationError("--port \(port) is not a TCP port: use 1 to 65535, or 0 for a free one.")
            }
            if (model == nil) == (artifact == nil) {
                throw ValidationError("Pass either --model NAME (a registered model) or --artifact PATH (a file).")
            }
            if [stage != nil, version != nil, alias != nil].filter({ $0 }).count > 1 {
                throw ValidationError("Pass at most one of --stage, --model-version and --alias.")
            }
            if artifact != nil && (stage != nil || version != nil || alias != nil) {
                throw ValidationError("--stage, --model-version and --alias choose a registered version; they do not go with --artifact.")
            }
            if let captureFraction, !(0...1).contains(captureFraction) {
                throw ValidationError("--capture-fraction takes a number from 0 to 1, not \(captureFraction).")
            }
            if noAuth && keysFile != nil { throw ValidationError("--no-auth and --keys-file contradict each other; pass one of them.") }
            if !variant.isEmpty && (model == nil || stage != nil || version != nil || alias != nil) {
                throw ValidationError("--variant takes the place of --stage, --model-version and --alias, and needs --model.")
            }
            for pair in variant {
                let parts = pair.split(separator: "=").map(String.init)
                guard parts.count == 2, let weight = Int(parts[1]), weight > 0 else {
                    throw ValidationError("--variant takes name=weight with a positive whole weight, such as champion=90, not '\(pair)'.")
                }
            }
        }

        func run() async throws {
            let settings = try global.settings()
            let logger = try global.bootstrapLogging(settings, label: "batcat.serve")
            var configuration = ServeConfiguration()
            configuration.host = try host ?? settings.string("serve.host") ?? "127.0.0.1"
            configuration.port = try port ?? settings.int("serve.port") ?? 8080
            guard (0...65535).contains(configuration.port) else {
                throw CLIError(
                    "serve.port (from \(settings.winningEntry(for: "serve.port")?.origin ?? "the configuration")) is \(configuration.port), which is not a TCP port",
                    hints: ["use 1 to 65535, or 0 for a free one"])
            }
            configuration.maxBodyBytes = maxBodyMegabytes << 20
            if let rate = try rateLimit ?? settings.double("serve.rateLimit") {
                configuration.rateLimit = (rate, try burst ?? settings.double("serve.burst") ?? rate * 2)
            }
            let keys = try keysFile ?? settings.string("serve.keysFile")
            if noAuth {
                logger.warning("serving without API keys: anyone who can reach the port can call the model")
            } else if let keys {
                configuration.keys = try APIKeys.load(file: keys)
                if configuration.keys?.isEmpty == true {
                    throw CLIError("the keys file '\(keys)' holds no keys", hints: ["add one with: batcat keys new NAME --file \(keys)"])
                }
            } else {
                throw CLIError(
                    "no API keys are configured for the prediction routes",
                    hints: [
                        "make one with: batcat keys new NAME --file keys.txt, then pass --keys-file keys.txt",
                        "or pass --no-auth for a local trial",
                    ])
            }
            let selection: ServedSelection
            if let artifact {
                selection = .file(artifact)
            } else if let model, !variant.isEmpty {
                selection = .split(
                    model,
                    variant.map { pair in
                        let parts = pair.split(separator: "=").map(String.init)
                        return .init(name: parts[0], weight: Int(parts[1]) ?? 1)
                    })
            } else if let model {
                let selector: VersionSelector = version.map { .version($0) } ?? alias.map { .alias($0) } ?? .stage(stage ?? .production)
                selection = .registered(model, selector, follow: version == nil)
            } else {
                return
            }
            var request = ServingRequest(model: selection, configuration: configuration, watchInterval: .milliseconds(Int(watchInterval * 1000)))
            if let folder = try captureDirectory ?? settings.string("serve.capture.dir") {
                request.capture = (folder, try captureFraction ?? settings.double("serve.capture.fraction") ?? 0.1)
            }
            let quiet = global.quiet
            let host = configuration.host
            try await Serving.run(request, registry: { try global.registryLocation(settings).open() }, logger: logger) { current, port in
                guard !quiet else { return }
                let which = current?.version.map { "version \($0)" } ?? "from its artifact file"
                Console.err("Serving \(current?.name ?? "the model") \(which) (\(current?.digest.prefix(19) ?? "")…) on http://\(host):\(port)\n")
            }
        }
    }

    /// `batcat keys`: API keys for the server.
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "keys",
            abstract: "Make API keys for batcat serve.", subcommands: [New.self])

        struct New: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "new",
                abstract: "Make a key: print it once, and store only its SHA-256 in the keys file.",
                discussion: """
                    Examples:
                      batcat keys new reporting-app --file keys.txt
                      export KEY=$(batcat keys new ci --file keys.txt)
                    """)

            @Argument(help: "A name for the key (letters, digits, '-', '_').") var name: String
            @Option(
                name: [.customLong("file"), .customLong("keys-file")],
                help: ArgumentHelp("The keys file to append to (serve reads it with --keys-file).", valueName: "path"))
            var file: String = "keys.txt"
            @OptionGroup var global: GlobalOptions

            func validate() throws {
                try ProjectNameCheck.check(name)
            }

            func run() async throws {
                let (key, line) = APIKeys.generate(name: name)
                // A keys file that exists but cannot be read is an error: writing over it would lose its keys.
                var existing = ""
                if FileManager.default.fileExists(atPath: file) {
                    do {
                        existing = try String(contentsOfFile: file, encoding: .utf8)
                    } catch {
                        throw CLIError("cannot read the keys file \(file), so no key was added (\(error.localizedDescription))", hints: ["check its permissions, or name another file with --file"])
                    }
                    if !existing.isEmpty, !existing.hasSuffix("\n") { existing += "\n" }
                }
                try AtomicFile.write(Array((existing + line + "\n").utf8), to: file)
                chmod(file, 0o600)
                Console.out(key + "\n")
                if !global.quiet { Console.err("Stored the key '\(name)' as its SHA-256 in \(file); the key itself is shown only now.\n") }
            }
        }
    }
}

/// Names of keys follow the project-name rule.
enum ProjectNameCheck {
    static func check(_ name: String) throws {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        guard !name.isEmpty, allowed else { throw ValidationError("'\(name)' is not a valid name: use letters, digits, '-' and '_'.") }
    }
}
