import ArgumentParser
import BatCatCLI
import BatCatML
import Foundation
import Testing

@Suite("batcat --help and --version")
struct HelpTests {
    @Test("--version prints the version on stdout")
    func version() throws {
        let work = try WorkFolder()
        #expect(try Transcript.run(["--version"], in: work.url) == Transcript(stdout: "0.1.0\n", stderr: "", status: 0))
    }

    @Test("The README and serve --help say only what exists: no drift, Kubernetes or SageMaker container claims")
    func honestDocs() throws {
        let work = try WorkFolder()
        let readme = try String(contentsOf: TrainCommandTests.examples.deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let intro = readme.components(separatedBy: "## The two commands").first ?? readme
        #expect(!intro.contains("watches\nfor drift") && !intro.contains("onto Kubernetes and AWS"), "\(intro)")
        let serve = try Transcript.run(["serve", "--help"], in: work.url).stdout
        #expect(!serve.contains("In a container started as"), "\(serve)")
        #expect(serve.contains("not part of this version"), "\(serve)")
    }

    @Test("The estimators the README and train --help list are the registry's")
    func estimatorDocs() throws {
        let work = try WorkFolder()
        let readme = try String(contentsOf: TrainCommandTests.examples.deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(Estimators.markdownTable(of: Estimators.builtIn)), "the README's estimator table differs from Estimators.markdownTable()")
        let help = try Transcript.run(["train", "--help"], in: work.url).stdout
        // Help wraps long lines, so each kind is checked by its name and the first words of its summary.
        for kind in Estimators.builtIn {
            let start = kind.summary.split(separator: " ").prefix(3).joined(separator: " ")
            #expect(help.contains("\(kind.typeName): \(start)"), "\(help)")
        }
    }

    @Test("--help teaches the commands with examples, on stdout")
    func rootHelp() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["--help"], in: work.url)
        #expect(transcript.status == 0)
        #expect(transcript.stderr == "")
        #expect(transcript.stdout.hasPrefix("OVERVIEW: Tabular machine learning from raw data to a production endpoint.\n"))
        for line in ["  batcat new churn-model", "  new ", "  config "] {
            #expect(transcript.stdout.contains(line), "missing \(line)")
        }
    }

    @Test("Every subcommand's help has examples", arguments: [["new", "--help"], ["config", "show", "--help"]])
    func subcommandHelp(arguments: [String]) throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(arguments, in: work.url)
        #expect(transcript.status == 0)
        #expect(transcript.stdout.contains("Examples:"))
        #expect(transcript.stdout.contains("batcat \(arguments.dropLast().joined(separator: " "))"))
    }

    @Test("Every command names itself, so that starting does not search the binary's conformances for type names")
    func commandsNameThemselves() {
        func visit(_ command: any ParsableCommand.Type, path: [String]) {
            let name = command.configuration.commandName
            #expect(name != nil, "the command under '\(path.joined(separator: " "))' has no commandName")
            for subcommand in command.configuration.subcommands { visit(subcommand, path: path + [name ?? "?"]) }
        }
        visit(BatCat.self, path: [])
    }

    @Test("An unknown flag is a usage error with status 64")
    func unknownFlag() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new", "demo", "--frobnicate"], in: work.url)
        #expect(transcript.status == 64)
        #expect(transcript.stderr.hasPrefix("error: Unknown option '--frobnicate'"))
        #expect(transcript.stdout == "")
    }
}
