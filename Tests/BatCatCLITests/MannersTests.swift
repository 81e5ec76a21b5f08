import Foundation
import Testing

@Suite("Command-line manners: flags anywhere, suggestions, sentences, nonsense refused")
struct MannersTests {
    @Test("--version is the program's version only; serve and score choose a model version with --model-version")
    func versionFlag() throws {
        let work = try WorkFolder()
        for command in ["serve", "score"] {
            let help = try Transcript.run([command, "--help"], in: work.url).stdout
            #expect(help.contains("--model-version <n>"), "\(help)")
            #expect(help.components(separatedBy: "--version").count == 2, "\(command) --help lists --version twice:\n\(help)")
        }
    }

    @Test("A misspelt command gets 'did you mean', exit 64")
    func misspeltCommand() throws {
        let work = try WorkFolder()
        let run = try Transcript.run(["trian", "spec.yaml"], in: work.url)
        #expect(run.status == 64)
        #expect(run.stderr.hasPrefix("error: 'trian' is not a batcat command\nhint: did you mean 'train'?\n"), "\(run)")
    }

    @Test("Global flags work before the command: batcat -v describe, batcat --set … -q describe")
    func globalFlagsFirst() throws {
        let work = try WorkFolder()
        try work.write("t.csv", "a\n1\n2\n")
        let verbose = try Transcript.run(["-v", "describe", "t.csv"], in: work.url)
        #expect(verbose.status == 0 && verbose.stderr.contains("debug batcat.describe"), "\(verbose)")
        let quiet = try Transcript.run(["--set", "log.level=info", "-q", "describe", "t.csv"], in: work.url)
        #expect(quiet.status == 0 && !quiet.stderr.contains("Described"), "\(quiet)")
    }

    @Test("Spec errors are sentences with the file and the key path, and suggest the right name")
    func specSentences() throws {
        let work = try WorkFolder()
        try work.write("d.csv", "a,b\n1,2\n3,4\n5,6\n")
        let cases: [(String, String)] = [
            ("estimator: {type: linearRegression, iterations: 1.5}", "s.yaml: the setting 'estimator.iterations' has the wrong type (expected a whole number)"),
            ("estimatr: {type: ridge}", "(did you mean 'estimator'?)"),
            ("estimator: {type: ridg}", "unknown estimator type 'ridg' (did you mean 'ridge'?)"),
            ("split: {test: 1.5}\nestimator: {type: ridge}", "split.test: the test set must be a fraction between 0 and 1 (such as 0.2) or a whole number of rows (such as 100), not 1.5"),
        ]
        for (body, expected) in cases {
            try work.write("s.yaml", "name: x\ndata: d.csv\ntarget: b\n\(body)\n")
            let run = try Transcript.run(["train", "s.yaml"], in: work.url)
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains(expected), "\(run)")
            #expect(!run.stderr.contains("DecodingError") && !run.stderr.contains("not valid JSON"), "\(run)")
        }
    }

    @Test("Nonsense is refused: --port 99999, --output o.csv for a folder of inputs")
    func nonsense() throws {
        let work = try WorkFolder()
        let port = try Transcript.run(["serve", "--port", "99999", "--no-auth", "--artifact", "m.json"], in: work.url)
        #expect(port.status == 64 && port.stderr.contains("--port 99999 is not a TCP port"), "\(port)")
        try work.write("in/a.csv", "x\n1\n")
        try work.write("m.yaml", "name: m\ndata: in/a.csv\ntarget: x\nfeatures: []\nestimator: {type: ridge}\n")
        let score = try Transcript.run(["score", "--artifact", "m.json", "--input", "in", "--output", "o.csv"], in: work.url)
        #expect(score.status == 1, "\(score)")
        #expect(score.stderr.contains("names a CSV file, but the input in is a folder"), "\(score)")
        #expect(!FileManager.default.fileExists(atPath: work.url.appendingPathComponent("o.csv").path))
    }

    @Test("Bad data, right words: no rows, duplicated header names (refused unless renaming is asked for)")
    func badData() throws {
        let work = try WorkFolder()
        try work.write("empty.csv", "a,b\n")
        try work.write("e.yaml", "name: x\ndata: empty.csv\ntarget: b\nsplit: {test: 0.2}\nestimator: {type: ridge}\n")
        let empty = try Transcript.run(["train", "e.yaml"], in: work.url)
        #expect(empty.status == 1 && empty.stderr.contains("error: the data (empty.csv) has no rows"), "\(empty)")
        try work.write("dup.csv", "a,b,a\n1,2,3\n4,5,6\n7,8,9\n")
        try work.write("d.yaml", "name: x\ndata: dup.csv\ntarget: b\nestimator: {type: ridge}\n")
        let duplicated = try Transcript.run(["train", "d.yaml"], in: work.url)
        #expect(duplicated.status == 1 && duplicated.stderr.contains("dup.csv:1: the header names 'a' more than once"), "\(duplicated)")
        try work.write("r.yaml", "name: x\ndata: dup.csv\ntarget: b\nread: {renameDuplicates: true}\nestimator: {type: ridge}\n")
        let renamed = try Transcript.run(["train", "r.yaml", "--format", "json"], in: work.url)
        #expect(renamed.status == 0, "\(renamed)")
        let described = try Transcript.run(["describe", "dup.csv", "--rename-duplicates", "--format", "json"], in: work.url)
        #expect(described.status == 0 && described.stdout.contains("\"a.1\""), "\(described)")
    }
}
