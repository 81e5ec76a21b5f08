import BatCatCore
import BatCatRegistry
import Foundation
import Logging
import ServiceLifecycle

/// Appends a sampled share of requests and responses as JSON lines under a folder, off the request path.
///
/// Requests hand their record to a bounded buffer and return at once; when the buffer is full the record
/// is dropped and counted, so capture never slows or fails a request. Files are named
/// `capture-<UTC time>-<n>.jsonl` and rotate by size and by age.
public final class Capture: Service, Sendable {
    /// The folder files go to.
    public let folder: String
    /// The fraction of requests captured, 0...1.
    public let fraction: Double
    /// Start a new file after this many bytes.
    public let maxFileBytes: Int
    /// Start a new file after this many seconds.
    public let maxFileAge: Double
    private let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let logger: Logger
    private let dropped: Counters

    /// Creates a capture; records are written while ``run()`` runs.
    public init(
        folder: String, fraction: Double, maxFileBytes: Int = 64 << 20, maxFileAge: Double = 3600, logger: Logger, counters: Counters
    ) {
        self.folder = folder
        self.fraction = min(max(fraction, 0), 1)
        self.maxFileBytes = maxFileBytes
        self.maxFileAge = maxFileAge
        self.logger = logger
        self.dropped = counters
        (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
    }

    /// Whether this request is in the sample.
    func sampled() -> Bool {
        fraction >= 1 || (fraction > 0 && Double.random(in: 0..<1) < fraction)
    }

    /// Queues one record (a JSON object, without the newline).
    func record(_ line: String) {
        if case .dropped = continuation.yield(line) { dropped.increment("batcat_capture_dropped_total") }
    }

    /// Writes queued records until shutdown, then flushes what is left.
    public func run() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var file: FileSink?
        var written = 0
        var opened = ContinuousClock.now
        var sequence = 0
        await withGracefulShutdownHandler {
            for await line in stream {
                let age = ContinuousClock.now - opened
                if file == nil || written >= maxFileBytes || Double(age.components.seconds) >= maxFileAge {
                    sequence += 1
                    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
                    let path = (folder as NSString).appendingPathComponent("capture-\(stamp)-\(sequence).jsonl")
                    do {
                        file = try FileSink(appendingTo: path)
                    } catch {
                        logger.error("cannot open a capture file", metadata: ["capture.path": "\(path)", "error": "\(error)"])
                        file = nil
                        continue
                    }
                    written = 0
                    opened = .now
                }
                file?.write(line + "\n")
                written += line.utf8.count + 1
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }
}

/// Watches the registry and swaps the served model when the selected stage or alias moves.
///
/// A new version is loaded and checked (digest, format, compile) before the swap; one that fails is
/// refused and logged, and the old model keeps serving.
public struct RegistryWatcher: Service {
    let registry: Registry
    let model: String
    let selector: VersionSelector
    let interval: Duration
    let live: LiveModel
    let logger: Logger
    let counters: Counters
    let variant: String?

    /// Creates a watcher; with `variant`, it swaps only that A/B variant.
    public init(
        registry: Registry, model: String, selector: VersionSelector, interval: Duration, live: LiveModel, logger: Logger,
        counters: Counters, variant: String? = nil
    ) {
        self.variant = variant
        self.registry = registry
        self.model = model
        self.selector = selector
        self.interval = interval
        self.live = live
        self.logger = logger
        self.counters = counters
    }

    /// Polls until shutdown.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            await check()
        }
    }

    /// Looks once; swaps when the selection points at another version.
    public func check() async {
        do {
            let version = try await registry.resolve(model, selector)
            let serving = variant.flatMap { name in live.variants.first { $0.name == name }?.model } ?? live.current
            guard version.version != serving?.version || version.digest != serving?.digest else { return }
            let artifact = try await registry.artifact(for: version)
            let served = try ServedModel(name: model, version: version.version, sealed: artifact)
            if let variant { live.swap(to: served, variant: variant) } else { live.swap(to: served) }
            counters.setModelVersion(version.version)
            logger.info("serving a new version", metadata: ["model.name": "\(model)", "model.version": "\(version.version)"])
        } catch {
            counters.increment("batcat_model_reload_failures_total")
            logger.error(
                "kept the current model: the new one could not be loaded",
                metadata: ["model.name": "\(model)", "selector": "\(selector)", "error": "\(error)"])
        }
    }
}
