import Foundation
import Testing

@Suite("batcat score, end to end", .serialized)
struct ScoreCommandTests {
    /// A folder with a trained diabetes-bmi artifact and `files` inputs of `rows` rows each.
    private func setup(files: Int, rows: Int) throws -> WorkFolder {
        let work = try WorkFolder()
        try work.trainDiabetesModel()
        for file in 0..<files {
            var text = "id,bmi\n"
            for row in 0..<rows { text += "\(file * rows + row),\(Double((row * 7919 + file) % 2000) / 10_000 - 0.1)\n" }
            try work.write("in/part-\(file).csv", text)
        }
        return work
    }

    private func outputs(_ folder: URL) throws -> [String: Data] {
        var found: [String: Data] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasSuffix(".csv") {
            found[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return found
    }

    /// When the run is killed: as it starts, while its first output is half written, or once that output is
    /// in place and the others are not: moments the run reaches whatever the machine's speed.
    enum KillPoint: String, CaseIterable, Sendable {
        case atStart, whileWriting, afterFirstOutput
    }

    @Test("A run killed at any moment leaves no partial output, and a rerun gives byte-identical outputs", arguments: KillPoint.allCases)
    func killAndRerun(at point: KillPoint) throws {
        let work = try setup(files: 4, rows: 60_000)
        let clean = try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "clean", "-q"], in: work.url)
        #expect(clean.status == 0, "\(clean)")
        let expected = try outputs(work.url.appendingPathComponent("clean"))
        #expect(expected.count == 4)

        let process = Process()
        process.executableURL = Transcript.binary
        process.arguments = ["score", "--artifact", "model.json", "--input", "in", "--output", "out", "-q"]
        process.currentDirectoryURL = work.url
        process.standardError = FileHandle.nullDevice
        try process.run()
        let folder = work.url.appendingPathComponent("out").path
        let reached: ([String]) -> Bool =
            switch point {
            case .atStart: { _ in true }
            // Outputs are written under a hidden temporary name, renamed into place when complete.
            case .whileWriting: { names in names.contains { $0.hasPrefix(".") && $0.contains(".csv.part-") } }
            case .afterFirstOutput: { names in names.contains { !$0.hasPrefix(".") && $0.hasSuffix(".csv") } }
            }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline && !reached((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []) {
            usleep(200)
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(wasRunning, "the run finished before the kill; the test needs more rows")
        // Whatever is visible is complete.
        for (name, data) in try outputs(work.url.appendingPathComponent("out")) { #expect(data == expected[name], "\(name) is partial") }

        let rerun = try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "out", "-q"], in: work.url)
        #expect(rerun.status == 0)
        #expect(try outputs(work.url.appendingPathComponent("out")) == expected)
    }

    @Test("A second run reports the files already done and rewrites nothing")
    func rerunSkips() throws {
        let work = try setup(files: 2, rows: 10)
        #expect(try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "out"], in: work.url).status == 0)
        let second = try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "out"], in: work.url)
        #expect(second.stderr.hasPrefix("Scored 0 files, 0 rows in <t> s (0 rows/s) with d; 2 files already done"))
    }

    @Test("--delimiter and --missing read inputs written another way; the predictions are the same")
    func otherDelimiter() throws {
        let work = try setup(files: 1, rows: 50)
        let comma = try work.read("in/part-0.csv")
        try work.write("semi/part-0.csv", comma.replacingOccurrences(of: ",", with: ";"))
        #expect(try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "a", "-q"], in: work.url).status == 0)
        let semi = try Transcript.run(
            ["score", "--artifact", "model.json", "--input", "semi", "--output", "b", "--delimiter", ";", "-q"], in: work.url)
        #expect(semi.status == 0, "\(semi)")
        #expect(try work.read("b/part-0.predictions.csv") == work.read("a/part-0.predictions.csv"))
        let unread = try Transcript.run(["score", "--artifact", "model.json", "--input", "semi", "--output", "c", "-q"], in: work.url)
        #expect(unread.status == 1)
        #expect(unread.stderr.contains("has no column named 'bmi', which the model needs"), "\(unread)")
    }

    @Test("A folder with no CSV file to score is warned about, even with -q")
    func emptyFolder() throws {
        let work = try setup(files: 0, rows: 0)
        try work.write("in/notes.txt", "not a CSV\n")
        let run = try Transcript.run(["score", "--artifact", "model.json", "--input", "in", "--output", "out", "-q"], in: work.url)
        #expect(run.status == 0, "\(run)")
        #expect(run.stderr.contains("warning batcat.score: no CSV files to score in the input folder"), "\(run)")
    }

    @Test("Shards from the environment, as an Indexed Job sets them, together cover every file once")
    func shardsFromEnvironment() throws {
        let work = try setup(files: 6, rows: 5)
        for index in 0..<3 {
            let run = try Transcript.run(
                ["score", "--artifact", "model.json", "--input", "in", "--output", "out", "-q"], in: work.url,
                environment: ["JOB_COMPLETION_INDEX": String(index), "BATCAT_SHARD_COUNT": "3"])
            #expect(run.status == 0)
        }
        #expect(try outputs(work.url.appendingPathComponent("out")).count == 6)
        let runs = try FileManager.default.contentsOfDirectory(atPath: work.url.appendingPathComponent("out/_batcat/runs").path)
        #expect(runs.count == 3)
    }

    @Test("--watch scores a file that appears, once it is complete")
    func watch() throws {
        let work = try setup(files: 1, rows: 5)
        let process = Process()
        process.executableURL = Transcript.binary
        process.arguments = ["score", "--artifact", "model.json", "--input", "in", "--output", "out", "--watch", "--settle", "0.3", "-q"]
        process.currentDirectoryURL = work.url
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        func wait(for name: String) -> Bool {
            for _ in 0..<100 {
                if FileManager.default.fileExists(atPath: work.url.appendingPathComponent("out/\(name)").path) { return true }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return false
        }
        #expect(wait(for: "part-0.predictions.csv"))
        // Written under a temporary name, then renamed: the watcher reads it only once complete.
        try work.write("in/late.csv.part", "id,bmi\n1,0.05\n2,0.06\n")
        try FileManager.default.moveItem(
            at: work.url.appendingPathComponent("in/late.csv.part"), to: work.url.appendingPathComponent("in/late.csv"))
        #expect(wait(for: "late.predictions.csv"))
        let late = try String(contentsOf: work.url.appendingPathComponent("out/late.predictions.csv"), encoding: .utf8)
        #expect(late.split(separator: "\n").count == 3)
    }
}
