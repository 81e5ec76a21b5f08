import BatCatRegistry
import BatCatServe
import BatCatStorage
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// Which model a server serves.
public enum ServedSelection: Sendable, Equatable {
    /// An artifact file, as it is.
    case file(String)
    /// A registered version; with `follow`, the server swaps to whatever version the selector picks later.
    case registered(String, VersionSelector, follow: Bool)
    /// Traffic split between versions (`3`) or aliases (`champion`, followed as it moves), by weight.
    case split(String, [Split])

    /// One share of a split.
    public struct Split: Sendable, Equatable {
        /// A version number or an alias.
        public var name: String
        /// Its share, relative to the others'.
        public var weight: Int

        /// Creates a share.
        public init(name: String, weight: Int) {
            self.name = name
            self.weight = weight
        }
    }
}

/// What `batcat serve` is asked to run.
public struct ServingRequest: Sendable {
    /// The model or models.
    public var model: ServedSelection
    /// Host, port, keys, limits.
    public var configuration: ServeConfiguration
    /// Where to capture a share of requests, if anywhere.
    public var capture: (folder: String, fraction: Double)?
    /// How often a followed selector is looked up again.
    public var watchInterval: Duration

    /// A request to serve `model`.
    public init(
        model: ServedSelection, configuration: ServeConfiguration, capture: (folder: String, fraction: Double)? = nil,
        watchInterval: Duration = .seconds(2)
    ) {
        self.model = model
        self.configuration = configuration
        self.capture = capture
        self.watchInterval = watchInterval
    }
}

/// `batcat serve`: loads the model, composes the registry watchers, keys, limits, capture and the app, and runs
/// them until SIGTERM or SIGINT (which drain the connections) or the task's cancellation.
public enum Serving {
    /// Runs the server; `onListening` gets the model served and the port once it listens.
    public static func run(
        _ request: ServingRequest, registry: () throws -> Registry, logger: Logger,
        onListening: @escaping @Sendable (ServedModel?, Int) async -> Void = { _, _ in }
    ) async throws {
        let counters = Counters()
        let (live, services) = try await compose(request, registry: registry, counters: counters, logger: logger)
        let capture = try request.capture.map { capture in
            Capture(folder: try captureFolder(capture.folder), fraction: capture.fraction, logger: logger, counters: counters)
        }
        let current = live.current
        let app = buildApplication(
            configuration: request.configuration, live: live, counters: counters, capture: capture, services: services, logger: logger,
            onListening: { port in await onListening(current, port) })
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The local folder a capture location names. Captures append to files as requests arrive, which only a local
    /// folder can take; another store's URL is refused before anything is made (never a local folder named `s3:`).
    static func captureFolder(_ location: String) throws -> String {
        guard let store = try ObjectStores.open(location) as? LocalObjectStore else {
            throw StorageError(
                .unsupportedScheme, "captures go to a local folder, and '\(location)' is not one",
                hints: ["pass --capture-dir a local folder (serve.capture.dir)"])
        }
        return store.root.path
    }

    /// The live model and the services that keep it current.
    static func compose(
        _ request: ServingRequest, registry: () throws -> Registry, counters: Counters, logger: Logger
    ) async throws -> (LiveModel, [any Service]) {
        switch request.model {
        case .file(let location):
            let loaded = try await ModelLoader.load(file: location)
            return (LiveModel(try ServedModel(name: loaded.name, version: nil, sealed: loaded.sealed)), [])
        case .registered(let model, let selector, let follow):
            let opened = try registry()
            let loaded = try await ModelLoader.load(.registered(model, selector), registry: { opened })
            let live = LiveModel(try ServedModel(name: model, version: loaded.version, sealed: loaded.sealed))
            if let version = loaded.version { counters.setModelVersion(version) }
            guard follow else { return (live, []) }
            let watcher = RegistryWatcher(
                registry: opened, model: model, selector: selector, interval: request.watchInterval, live: live, logger: logger,
                counters: counters)
            return (live, [watcher])
        case .split(let model, let shares):
            let opened = try registry()
            var variants: [LiveModel.Variant] = []
            var followed: [(VersionSelector, String)] = []
            for share in shares {
                let selector: VersionSelector = Int(share.name).map { .version($0) } ?? .alias(share.name)
                let loaded = try await ModelLoader.load(.registered(model, selector), registry: { opened })
                let served = try ServedModel(name: model, version: loaded.version, sealed: loaded.sealed)
                variants.append(.init(name: share.name, weight: share.weight, model: served))
                if case .alias = selector { followed.append((selector, share.name)) }
            }
            let live = LiveModel(variants: variants)
            let watchers: [any Service] = followed.map { selector, name in
                RegistryWatcher(
                    registry: opened, model: model, selector: selector, interval: request.watchInterval, live: live, logger: logger,
                    counters: counters, variant: name)
            }
            return (live, watchers)
        }
    }
}
