import Foundation
import Metrics
import Prometheus
import Synchronization

/// The server's metrics, through swift-metrics with a Prometheus registry behind it.
///
/// Metric objects are made once per label set and kept, so counting on the request path is a lookup
/// and an atomic add.
public final class Counters: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: Metrics.Counter]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let versionGauge: Metrics.Gauge

    /// Creates the server's metrics in a new registry.
    public init() {
        registry = PrometheusCollectorRegistry()
        factory = PrometheusMetricsFactory(registry: registry)
        versionGauge = Metrics.Gauge(label: "batcat_model_version", factory: factory)
    }

    /// Counts a request by route and status, and its duration.
    func request(route: String, status: Int, variant: String, seconds: Duration) {
        let key = "\(route)|\(status)|\(variant)"
        let counter = counters.withLock { all in
            if let existing = all[key] { return existing }
            let made = Metrics.Counter(
                label: "batcat_requests_total", dimensions: [("route", route), ("status", String(status)), ("variant", variant)],
                factory: factory)
            all[key] = made
            return made
        }
        counter.increment()
        let timer = timers.withLock { all in
            if let existing = all[route] { return existing }
            let made = Metrics.Timer(
                label: "batcat_request_duration_seconds", dimensions: [("route", route)], preferredDisplayUnit: .seconds, factory: factory)
            all[route] = made
            return made
        }
        timer.record(duration: seconds)
    }

    /// Adds one to a plain counter.
    func increment(_ name: String) {
        let counter = counters.withLock { all in
            if let existing = all[name] { return existing }
            let made = Metrics.Counter(label: name, factory: factory)
            all[name] = made
            return made
        }
        counter.increment()
    }

    /// Records the version being served.
    public func setModelVersion(_ version: Int) {
        versionGauge.record(version)
    }

    /// The Prometheus text exposition.
    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
