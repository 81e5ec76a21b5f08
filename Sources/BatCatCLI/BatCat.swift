import ArgumentParser
import BatCatCore
import BatCatData
import Foundation

/// The `batcat` command: tabular machine learning from raw data to a production endpoint.
public struct BatCat: AsyncParsableCommand {
    /// The root command's configuration: name, version, subcommands and help.
    ///
    /// Every command here names itself (`commandName:`). Without a name, ArgumentParser derives one with
    /// `String(describing:)` on the command's type, and each of those makes the Swift runtime search all
    /// of the binary's protocol conformances: 6 ms of every start (`batcat --version`: 16.8 → 10.6 ms).
    public static let configuration = CommandConfiguration(
        commandName: "batcat",
        abstract: "Tabular machine learning from raw data to a production endpoint.",
        discussion: """
            Start a project, then look at its configuration:

              batcat new churn-model
              cd churn-model
              batcat config show

            Train, inspect and use a model:

              batcat train examples/diabetes-bmi/train.yaml
              batcat inspect examples/diabetes-bmi/diabetes-bmi.model.json
              batcat predict examples/diabetes-bmi/diabetes-bmi.model.json new.csv -o out.csv

            Look at data:

              batcat describe data/raw/patients.csv
              batcat head data/raw/patients.csv -n 5

            Every command takes -v (debug logs), -q (warnings only), --log-file PATH and \
            --log-format json. Data goes to standard output; logs, progress and errors go to \
            standard error. Exit status: 0 success, 1 failure, 64 bad usage.
            """,
        version: BatCatVersion.current,
        subcommands: [
            Demo.self, New.self, Train.self, Evaluate.self, Predict.self, Inspect.self, RegistryCommand.self, Serve.self, Score.self,
            Keys.self,
            Describe.self,
            Head.self,
            ConfigCommand.self,
        ]
    )

    /// Creates the root command.
    public init() {}

    /// Runs the command line of this process and exits with its status.
    public static func main() async {
        let status = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        Foundation.exit(status)
    }

    /// The flags every command takes, with whether each takes a value: given before the command's name
    /// (`batcat -v train spec.yaml`), they are moved after it.
    static let globalFlags: [String: Bool] = [
        "-v": false, "--verbose": false, "-q": false, "--quiet": false, "--log-file": true, "--log-format": true, "--set": true,
        "--project": true, "--registry": true,
    ]

    /// `arguments` with the global flags that come before the first command name moved to the end (before a `--`).
    static func movingGlobalFlags(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard let takesValue = globalFlags[name] else { break }
            leading.append(argument)
            if takesValue && !argument.contains("=") && index + 1 < arguments.count {
                leading.append(arguments[index + 1])
                index += 1
            }
            index += 1
        }
        guard !leading.isEmpty, index < arguments.count else { return arguments }
        var rest = Array(arguments[index...])
        let end = rest.firstIndex(of: "--") ?? rest.count
        rest.insert(contentsOf: leading, at: end)
        return rest
    }

    /// When the first argument looks like a command name but is none, the error for it, with the nearest name.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-") else { return nil }
        var names: [String] = []
        for command in configuration.subcommands {
            let type: any ParsableCommand.Type = command
            if let name = type.configuration.commandName { names.append(name) }
        }
        guard first != "help" else { return nil }
        guard !names.contains(first) else { return nil }
        var text = "error: '\(first)' is not a batcat command"
        if let nearest = Suggestion.nearest(to: first, among: names) { text += "\nhint: did you mean '\(nearest)'?" }
        return text + "\nhint: the commands are: \(names.joined(separator: ", ")); see batcat --help\n"
    }

    /// Runs one command line and returns its exit status; errors are printed to standard error.
    public static func run(arguments given: [String]) async -> Int32 {
        let arguments = movingGlobalFlags(given)
        if let unknown = unknownCommand(arguments) {
            Console.err(unknown)
            return ExitCode.validationFailure.rawValue
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as any ReportableError {
            Console.error(error)
            return 1
        } catch {
            let status = exitCode(for: error)
            let text = fullMessage(for: error)
            if status == .success {
                Console.out(text.hasSuffix("\n") ? text : text + "\n")
            } else {
                Console.err(renderParserMessage(text))
            }
            return status.rawValue
        }
    }

    /// ArgumentParser writes `Error: …`; BatCat's own errors are `error: …`. One style for both.
    static func renderParserMessage(_ text: String) -> String {
        var text = text
        if text.hasPrefix("Error: ") { text = "error: " + text.dropFirst("Error: ".count) }
        return text.hasSuffix("\n") ? text : text + "\n"
    }
}
