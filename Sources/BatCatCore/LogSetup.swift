import Foundation
import Logging
import Synchronization

/// The five levels BatCat logs at, from chattiest to most severe.
public enum LogLevel: String, CaseIterable, Codable, Sendable {
    case debug, info, warning, error, critical

    /// The matching swift-log level.
    public var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}

/// How a log line is written.
public enum LogFormat: String, CaseIterable, Codable, Sendable {
    /// `2026-11-21T10:00:00Z info batcat.train: message key=value`
    case human
    /// One JSON object per line: `{"label":…,"level":…,"message":…,"metadata":{…},"time":…}`
    case json
}

/// Where and how logs go: a console handler on stderr and an optional file.
public struct LogOptions: Equatable, Sendable {
    /// Lines below this level are dropped.
    public var level: LogLevel
    /// Line format, for the console and the file alike.
    public var format: LogFormat
    /// A file that lines are appended to, besides the console.
    public var filePath: String?
    /// Whether lines go to standard error.
    public var console: Bool

    /// Creates options; the defaults are `info`, human lines, console only.
    public init(level: LogLevel = .info, format: LogFormat = .human, filePath: String? = nil, console: Bool = true) {
        self.level = level
        self.format = format
        self.filePath = filePath
        self.console = console
    }
}

/// Owns the log outputs and hands out handlers that write to them.
///
/// Configuring a router again replaces its outputs instead of adding to them, so setting logging up
/// twice never writes a line twice. Handlers created before a reconfiguration follow it, because
/// they look the outputs up on every line.
///
/// ## Topics
/// - ``shared``
/// - ``bootstrap(_:)``
/// - ``configure(_:)``
/// - ``makeHandler(label:)``
public final class LogRouter: Sendable {
    private struct Outputs: Sendable {
        var options: LogOptions
        var file: FileSink?
    }

    private let state: Mutex<Outputs>
    private let standardError: FileSink

    /// The process-wide router that ``bootstrap(_:)`` installs into swift-log.
    public static let shared = LogRouter()

    private static let installed = Mutex(false)

    /// Creates a router writing to the console at `info` until configured.
    public init(standardError: FileSink = FileSink(descriptor: 2)) {
        self.standardError = standardError
        self.state = Mutex(Outputs(options: LogOptions(), file: nil))
    }

    /// Configures the shared router and installs it as swift-log's backend (once per process).
    public static func bootstrap(_ options: LogOptions) throws(CoreError) {
        try shared.configure(options)
        let first = installed.withLock { done in
            defer { done = true }
            return !done
        }
        if first {
            LoggingSystem.bootstrap { label in shared.makeHandler(label: label) }
        }
    }

    /// Replaces the outputs; opens the log file (appending) when one is named.
    public func configure(_ options: LogOptions) throws(CoreError) {
        var file: FileSink?
        if let path = options.filePath {
            file = try FileSink(appendingTo: path)
        }
        state.withLock { $0 = Outputs(options: options, file: file) }
    }

    /// The options in force.
    public var options: LogOptions { state.withLock { $0.options } }

    /// A handler for loggers with this label.
    public func makeHandler(label: String) -> RoutedLogHandler {
        RoutedLogHandler(label: label, router: self)
    }

    func write(level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        let (options, file) = state.withLock { ($0.options, $0.file) }
        // A URL's password never reaches a log line, whoever wrote the message or the metadata.
        let line = Redaction.redactingURLSecrets(
            LogLineFormatter.line(format: options.format, date: Date(), level: level, label: label, message: message, metadata: metadata))
        if options.console { standardError.write(line) }
        file?.write(line)
    }
}

/// A swift-log handler that sends every line through a ``LogRouter``.
public struct RoutedLogHandler: LogHandler {
    private let label: String
    private let router: LogRouter
    private var levelOverride: Logger.Level?

    /// Metadata attached to every line from this logger.
    public var metadata: Logger.Metadata = [:]

    init(label: String, router: LogRouter) {
        self.label = label
        self.router = router
    }

    /// The router's level, unless this logger set its own.
    public var logLevel: Logger.Level {
        get { levelOverride ?? router.options.level.loggerLevel }
        set { levelOverride = newValue }
    }

    /// Metadata for one key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one event.
    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        router.write(level: event.level, label: label, message: event.message.description, metadata: merged)
    }
}

/// An append-only file descriptor that writes whole lines atomically with respect to other threads.
public final class FileSink: Sendable {
    private let descriptor: Int32
    private let owned: Bool
    private let lock = Mutex(())

    /// Wraps an open descriptor that the sink does not close (standard error, for example).
    public init(descriptor: Int32) {
        self.descriptor = descriptor
        self.owned = false
    }

    /// Opens `path` for appending, creating it and its folder when missing.
    public init(appendingTo path: String) throws(CoreError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw CoreError(
                .logFileUnwritable, "cannot open log file '\(path)' for appending: \(reason)",
                hints: ["check that the folder exists and is writable, or choose another file with --log-file"])
        }
        self.descriptor = fd
        self.owned = true
    }

    deinit {
        if owned { close(descriptor) }
    }

    /// Writes the bytes of `line` in full.
    public func write(_ line: String) {
        var bytes = Array(line.utf8)
        lock.withLock { _ in
            bytes.withUnsafeMutableBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return
                    }
                    offset += written
                }
            }
        }
    }
}

/// Renders log lines in the human and JSON formats.
enum LogLineFormatter {
    static func line(
        format: LogFormat, date: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        let time = timestamp(date)
        let keys = metadata.keys.sorted()
        switch format {
        case .human:
            var line = "\(time) \(level.rawValue) \(label): \(message)"
            for key in keys {
                line += " \(key)=\(quotedIfNeeded(value(of: metadata[key]!, key: key)))"
            }
            return line + "\n"
        case .json:
            var fields: [String] = [
                "\"time\":\(JSONText.quoted(time))",
                "\"level\":\(JSONText.quoted(level.rawValue))",
                "\"label\":\(JSONText.quoted(label))",
                "\"message\":\(JSONText.quoted(message))",
            ]
            if !keys.isEmpty {
                let pairs = keys.map { "\(JSONText.quoted($0)):\(JSONText.quoted(value(of: metadata[$0]!, key: $0)))" }
                fields.append("\"metadata\":{\(pairs.joined(separator: ","))}")
            }
            return "{\(fields.joined(separator: ","))}\n"
        }
    }

    private static func value(of value: Logger.MetadataValue, key: String) -> String {
        Redaction.displayValue(value.description, forKey: key)
    }

    private static func quotedIfNeeded(_ text: String) -> String {
        let needsQuotes = text.isEmpty || text.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        return needsQuotes ? JSONText.quoted(text) : text
    }

    /// `2026-11-21T10:00:00Z`, in UTC, to the second.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))"
            + "T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}
