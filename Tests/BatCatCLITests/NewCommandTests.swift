import Foundation
import Testing

@Suite("batcat new")
struct NewCommandTests {
    static let demoTree = """
        demo/
        ├── .gitignore
        ├── README.md
        ├── config.json
        ├── config.prod.json
        ├── data/
        │   ├── raw/
        │   │   ├── .gitkeep
        │   │   └── biopsy.csv
        │   ├── result/
        │   │   └── .gitkeep
        │   ├── test/
        │   │   └── .gitkeep
        │   ├── tmp/
        │   │   └── .gitkeep
        │   └── train/
        │       └── .gitkeep
        ├── docs/
        │   └── README.md
        ├── log/
        │   └── .gitkeep
        ├── model/
        │   └── .gitkeep
        ├── notebook/
        │   └── .gitkeep
        ├── report/
        │   └── .gitkeep
        ├── script/
        │   └── .gitkeep
        ├── test/
        │   └── .gitkeep
        └── train.yaml

        """

    @Test("A fresh project prints its tree on stdout and a timed summary on stderr")
    func fresh() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new", "demo"], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: Self.demoTree,
                    stderr: "Created project demo: 18 files added in <t> s\nnext: cd demo && batcat train\n",
                    status: 0))
    }

    @Test("Running it again on the same folder is refused and names --force")
    func rerunRefused() throws {
        let work = try WorkFolder()
        _ = try Transcript.run(["new", "demo"], in: work.url)
        let transcript = try Transcript.run(["new", "demo"], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: "",
                    stderr: """
                        error: the folder 'demo' already exists and is not empty
                        hint: choose another name, or run `batcat new demo --force` to add only the missing files (existing files are never overwritten)

                        """,
                    status: 1))
    }

    @Test("--force adds only the missing files and leaves edited ones alone")
    func forceAddsMissing() throws {
        let work = try WorkFolder()
        _ = try Transcript.run(["new", "demo"], in: work.url)
        try work.write("demo/README.md", "edited\n")
        try FileManager.default.removeItem(at: work.url.appendingPathComponent("demo/config.json"))
        let transcript = try Transcript.run(["new", "demo", "--force"], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: Self.demoTree,
                    stderr: "Created project demo: 1 file added, 17 existing files kept in <t> s\nnext: cd demo && batcat train\n",
                    status: 0))
        #expect(try work.read("demo/README.md") == "edited\n")
        #expect(try work.read("demo/config.json").contains("\"project\""))
    }

    @Test("Bad names are refused with a sentence saying what is allowed", arguments: ["..", "a/b", "/tmp/x", "has space"])
    func badNames(name: String) throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new", name], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: "",
                    stderr: """
                        error: '\(name)' is not a valid project name: use letters, digits, '-' and '_' only, starting with a letter, digit or '_'
                        hint: for example: batcat new churn-model

                        """,
                    status: 1))
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.url.path).isEmpty)
    }

    @Test("An empty name is refused")
    func emptyName() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new", ""], in: work.url)
        #expect(transcript.status == 1)
        #expect(transcript.stderr.hasPrefix("error: an empty name is not a valid project name"))
    }

    @Test("With no name and no terminal it exits 64 with a usage error")
    func noNameNoTerminal() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new"], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: "",
                    stderr: """
                        error: Missing the project NAME: standard input is not a terminal, so it cannot be asked for. Pass it as `batcat new NAME`.
                        Usage: batcat new [<name>] [--force] [--in <dir>] [--verbose] [--quiet] [--log-file <path>] [--log-format <log-format>] [--set <key=value> ...] [--project <dir>] [--registry <url>]
                          See 'batcat new --help' for more information.

                        """,
                    status: 64))
    }
}
