import ArgumentParser
import BatCatCore
import BatCatDeploy
import Foundation
import Logging

extension BatCat {
    /// `batcat new`: scaffolds a data-science project.
    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Create a new data-science project folder.",
            discussion: """
                Creates NAME/ with data/{raw,train,test,result,tmp}, model/, notebook/, script/, \
                test/, report/, log/, docs/, a README, a .gitignore that keeps data out of git, \
                config.json with a config.prod.json overlay, and train.yaml with example data in \
                data/raw/, then prints the tree. In the project, `batcat train` trains and registers \
                the example, and `batcat score` and `batcat serve` use it.

                Examples:
                  batcat new churn-model            create ./churn-model
                  batcat new                        ask for the name (on a terminal)
                  batcat new churn-model --force    add the files missing from an existing folder

                NAME may hold letters, digits, '-' and '_'. An existing folder that is not empty \
                is refused; with --force only missing files are added and no file is overwritten.
                """
        )

        @Argument(help: "The project's name, which is also its folder's name.")
        var name: String?

        @Flag(help: "Fill in an existing folder: add missing files, never overwrite.")
        var force = false

        @Option(name: .customLong("in"), help: ArgumentHelp("Create the project inside this folder.", valueName: "dir"))
        var parent: String = "."

        @OptionGroup var global: GlobalOptions

        func validate() throws {
            if name == nil && !Console.inputIsTerminal {
                throw ValidationError(
                    "Missing the project NAME: standard input is not a terminal, so it cannot be asked for. Pass it as `batcat new NAME`.")
            }
        }

        func run() async throws {
            let logger = try global.bootstrapLoggingFromConfiguration(label: "batcat.new")
            let projectName = try name ?? promptForName()
            let start = ContinuousClock.now
            let scaffold = try ProjectScaffold(name: projectName)
            let result = try scaffold.create(in: URL(fileURLWithPath: parent), force: force)
            logger.debug("scaffold written", metadata: ["project.folder": "\(result.folder.path)"])
            Console.out(result.tree)
            var summary = "Created project \(projectName): \(plural(result.created.count, "file")) added"
            if !result.kept.isEmpty { summary += ", \(plural(result.kept.count, "existing file")) kept" }
            summary += " in \(Console.seconds(since: start))\n"
            summary +=
                "next: cd \(parent == "." ? projectName : (parent as NSString).appendingPathComponent(projectName)) && batcat train\n"
            if !global.quiet { Console.err(summary) }
        }

        private func promptForName() throws -> String {
            Console.err("Project name: ")
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("No project name was given. Pass it as `batcat new NAME`.")
            }
            return line.trimmingCharacters(in: .whitespaces)
        }
    }
}
