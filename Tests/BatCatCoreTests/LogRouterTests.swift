import BatCatCore
import Foundation
import Logging
import Testing

@Suite("Logging")
struct LogRouterTests {
    private func lines(_ folder: TemporaryFolder, _ name: String) throws -> [String] {
        try folder.read(name).split(separator: "\n").map(String.init)
    }

    @Test("The file handler writes human lines with time, level, label, message and metadata")
    func fileHandlerWritesHumanLines() throws {
        let folder = try TemporaryFolder()
        let router = LogRouter()
        try router.configure(
            LogOptions(level: .info, format: .human, filePath: folder.url.appendingPathComponent("run.log").path, console: false))
        let logger = Logger(label: "batcat.train") { router.makeHandler(label: $0) }
        logger.info("trained", metadata: ["rows": "442", "model.name": "diabetes bmi"])
        let written = try lines(folder, "run.log")
        #expect(written.count == 1)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info batcat\.train: trained model\.name="diabetes bmi" rows=442$/#
        #expect(try pattern.wholeMatch(in: written[0]) != nil, "line was: \(written[0])")
    }

    @Test("Configuring the router twice writes each line once")
    func configuringTwiceDoesNotDuplicate() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("twice.log").path
        let router = LogRouter()
        let options = LogOptions(level: .info, format: .human, filePath: path, console: false)
        try router.configure(options)
        try router.configure(options)
        let logger = Logger(label: "batcat.test") { router.makeHandler(label: $0) }
        logger.info("once")
        #expect(try lines(folder, "twice.log").count == 1)
    }

    @Test("Bootstrapping the process twice writes each line once")
    func bootstrappingTwiceDoesNotDuplicate() throws {
        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("bootstrap.log").path
        let options = LogOptions(level: .info, format: .human, filePath: path, console: false)
        try LogRouter.bootstrap(options)
        try LogRouter.bootstrap(options)
        Logger(label: "batcat.bootstrap").info("one line")
        #expect(try lines(folder, "bootstrap.log").filter { $0.hasSuffix("one line") }.count == 1)
    }

    @Test(
        "Levels below the configured one are dropped",
        arguments: [
            (LogLevel.debug, ["debug", "info", "warning", "error", "critical"]),
            (LogLevel.info, ["info", "warning", "error", "critical"]),
            (LogLevel.warning, ["warning", "error", "critical"]),
            (LogLevel.critical, ["critical"]),
        ])
    func levelsFilter(level: LogLevel, expected: [String]) throws {
        let folder = try TemporaryFolder()
        let router = LogRouter()
        try router.configure(LogOptions(level: level, filePath: folder.url.appendingPathComponent("levels.log").path, console: false))
        let logger = Logger(label: "batcat.levels") { router.makeHandler(label: $0) }
        for each in LogLevel.allCases { logger.log(level: each.loggerLevel, "\(each.rawValue)") }
        let levels = try lines(folder, "levels.log").map { $0.split(separator: " ")[1] }.map(String.init)
        #expect(levels == expected)
    }

    @Test("A reconfiguration reaches loggers made before it")
    func reconfigurationReachesExistingLoggers() throws {
        let folder = try TemporaryFolder()
        let router = LogRouter()
        let path = folder.url.appendingPathComponent("late.log").path
        try router.configure(LogOptions(level: .warning, filePath: path, console: false))
        let logger = Logger(label: "batcat.late") { router.makeHandler(label: $0) }
        logger.info("dropped")
        try router.configure(LogOptions(level: .debug, filePath: path, console: false))
        logger.debug("kept")
        #expect(try lines(folder, "late.log").map { $0.components(separatedBy: ": ").last! } == ["kept"])
    }

    @Test("JSON lines carry the fields and redact secret metadata")
    func jsonLines() throws {
        let folder = try TemporaryFolder()
        let router = LogRouter()
        try router.configure(
            LogOptions(level: .info, format: .json, filePath: folder.url.appendingPathComponent("json.log").path, console: false))
        let logger = Logger(label: "batcat.serve") { router.makeHandler(label: $0) }
        logger.warning("key \"rotated\"", metadata: ["api.key": "s3cr3t", "request.id": "42"])
        let line = try #require(try lines(folder, "json.log").first)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["label"] as? String == "batcat.serve")
        #expect(object["message"] as? String == "key \"rotated\"")
        #expect(object["metadata"] as? [String: String] == ["api.key": "<redacted>", "request.id": "42"])
        #expect(!line.contains("s3cr3t"))
    }

    @Test("An unwritable log file is an error that names the file")
    func unwritableFile() throws {
        let router = LogRouter()
        let error = #expect(throws: CoreError.self) {
            try router.configure(LogOptions(filePath: "/proc/batcat-cannot-write-here/x.log", console: false))
        }
        #expect(error?.code == .logFileUnwritable)
        #expect(error?.message.contains("/proc/batcat-cannot-write-here/x.log") == true)
    }
}
