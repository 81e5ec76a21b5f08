import Foundation
import Testing

/// What one run of the `batcat` binary printed, and how it exited.
struct Transcript: Equatable, CustomStringConvertible {
    var stdout: String
    var stderr: String
    var status: Int32

    var description: String { "status \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

    /// The built `batcat` binary: `BATCAT_BIN`, or the one beside the test bundle.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["BATCAT_BIN"] { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("batcat")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            folder.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/batcat")
    }

    /// Runs `batcat arguments` in `directory` with no terminal on standard input and a clean environment.
    static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Transcript {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "NO_COLOR": "1"]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Transcript(
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: filterTimings(String(decoding: errData, as: UTF8.self)),
            status: process.terminationStatus)
    }

    /// Replaces durations such as `0.41 s` with `<t> s`, so transcripts can be pinned.
    static func filterTimings(_ text: String) -> String {
        text.replacing(#/\d+\.\d\d s\b/#, with: "<t> s")
    }
}

/// A fresh folder for one test, removed when released.
final class WorkFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ text: String) throws {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
    }

    /// Copies the diabetes example's data into `folder/diabetes.csv`.
    func copyDiabetesData(into folder: String) throws {
        let examples = TrainCommandTests.examples.appendingPathComponent("diabetes-bmi")
        try FileManager.default.createDirectory(at: url.appendingPathComponent(folder), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: examples.appendingPathComponent("diabetes.csv"), to: url.appendingPathComponent("\(folder)/diabetes.csv"))
    }

    /// Trains a linear model on the diabetes example's `bmi` into `model.json`, its data in `d/diabetes.csv`.
    func trainDiabetesModel() throws {
        try copyDiabetesData(into: "d")
        try write(
            "d/spec.yaml",
            "name: d\ndata: diabetes.csv\ntarget: target\nfeatures: [bmi]\nestimator: {type: linearRegression}\noutput: ../model.json\n")
        let run = try Transcript.run(["train", "d/spec.yaml", "-q"], in: url)
        #expect(run.status == 0, "\(run)")
    }
}
