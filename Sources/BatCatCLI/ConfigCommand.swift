import ArgumentParser
import BatCatCore
import Foundation

/// How a command reports its results.
enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

extension BatCat {
    /// `batcat config`: inspects the effective configuration.
    struct ConfigCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Inspect the project's configuration.",
            subcommands: [Show.self]
        )

        /// `batcat config show`.
        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show",
                abstract: "Print the effective configuration and where each value comes from.",
                discussion: """
                    Sources, lowest precedence first: built-in defaults, config.json (or .yaml), \
                    the overlay config.<env>.json chosen by BATCAT_ENV, environment variables \
                    BATCAT_… (log.level is BATCAT_LOG_LEVEL, serve.keysFile is \
                    BATCAT_SERVE_KEYS_FILE), then --set and the logging flags. \
                    Values whose keys look secret (password, secret, token, key, credential) \
                    are shown as <redacted>.

                    Examples:
                      batcat config show
                      BATCAT_ENV=prod batcat config show
                      batcat config show --set log.level=debug --format json
                    """
            )

            @Option(help: "Output format: text or json.")
            var format: OutputFormat = .text

            @OptionGroup var global: GlobalOptions

            func run() async throws {
                let settings = try global.settings()
                _ = try global.bootstrapLogging(settings, label: "batcat.config")
                let entries = settings.effectiveEntries()
                switch format {
                case .json:
                    Console.out(try JSONReport.encode(ConfigReport(entries: entries)))
                case .text:
                    let keyWidth = entries.map(\.key.count).max() ?? 0
                    let valueWidth = entries.map(\.value.count).max() ?? 0
                    var text = ""
                    for entry in entries {
                        let key = entry.key.padding(toLength: keyWidth, withPad: " ", startingAt: 0)
                        let value = entry.value.padding(toLength: valueWidth, withPad: " ", startingAt: 0)
                        text += "\(key)  \(value)  # \(entry.source)\n"
                    }
                    Console.out(text)
                }
            }
        }
    }
}

/// The versioned JSON object `batcat config show --format json` prints.
struct ConfigReport: Encodable {
    var version = 1
    var entries: [Settings.EffectiveEntry]
}
