import Configuration
import Foundation

/// One source of configuration values: built-in defaults, a file, the environment or the command line.
public struct ConfigLayer: Sendable {
    /// What kind of source this is; later kinds win over earlier ones.
    public enum Kind: String, Sendable {
        case defaults, file, environment, commandLine = "command line"
    }

    /// One value with where it came from.
    public struct Entry: Sendable {
        /// The typed value, for files; `nil` for text sources, converted on access.
        var content: ConfigContent?
        /// The value as written, for display.
        public var text: String
        /// Where exactly it came from: a file name, `BATCAT_LOG_LEVEL`, `--set log.level`.
        public var origin: String
    }

    /// What kind of source this is.
    public var kind: Kind
    /// A name for the whole layer, such as `config.prod.json`.
    public var name: String
    /// Values by dotted key (`log.level`).
    public var entries: [String: Entry]

    /// Creates a layer.
    public init(kind: Kind, name: String, entries: [String: Entry]) {
        self.kind = kind
        self.name = name
        self.entries = entries
    }

    /// Built-in values, as text converted when read.
    public static func defaults(_ values: [String: String]) -> ConfigLayer {
        .text(kind: .defaults, name: "default", values: values.mapValues { ($0, "default") })
    }

    /// Reads a JSON or YAML file and flattens it into dotted keys.
    public static func file(at path: String, displayName: String? = nil) throws(CoreError) -> ConfigLayer {
        let name = displayName ?? path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CoreError(
                .configFileUnreadable, "cannot read configuration file '\(name)': \(error.localizedDescription)",
                hints: ["check that the file exists and is readable"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CoreError(.configSyntax, "\(name): the file is not valid UTF-8 text", hints: ["save the file as UTF-8"])
        }
        let root = try ConfigDocument.parse(text, fileName: name)
        guard case .object(let members) = root else {
            throw CoreError(
                .configStructure, "\(name): the top level must be an object of keys and values",
                hints: ["wrap the settings in { … } (JSON) or write them as key: value lines (YAML)"])
        }
        var entries: [String: Entry] = [:]
        try flatten(members, prefix: "", fileName: name, into: &entries)
        return ConfigLayer(kind: .file, name: name, entries: entries)
    }

    /// Text values, converted to a type only when read: environment variables or command-line overrides.
    public static func text(kind: Kind, name: String, values: [String: (text: String, origin: String)]) -> ConfigLayer {
        ConfigLayer(kind: kind, name: name, entries: values.mapValues { Entry(content: nil, text: $0.text, origin: $0.origin) })
    }

    /// The highest layer: values set by command-line flags.
    public static func commandLine(_ overrides: [Settings.Override]) -> ConfigLayer {
        var values: [String: (text: String, origin: String)] = [:]
        for override in overrides { values[override.key] = (override.value, override.origin) }
        return .text(kind: .commandLine, name: "command line", values: values)
    }

    private static func flatten(
        _ members: [(key: String, value: ConfigNode)], prefix: String, fileName: String, into entries: inout [String: Entry]
    ) throws(CoreError) {
        for (key, value) in members {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            let content: ConfigContent
            switch value {
            case .null: continue
            case .object(let inner):
                try flatten(inner, prefix: path, fileName: fileName, into: &entries)
                continue
            case .bool(let v): content = .bool(v)
            case .int(let v): content = .int(v)
            case .double(let v): content = .double(v)
            case .string(let v): content = .string(v)
            case .array(let items): content = try arrayContent(items, key: path, fileName: fileName)
            }
            entries[path] = Entry(content: content, text: text(of: content), origin: fileName)
        }
    }

    private static func arrayContent(_ items: [ConfigNode], key: String, fileName: String) throws(CoreError) -> ConfigContent {
        var strings: [String] = [], ints: [Int] = [], doubles: [Double] = [], bools: [Bool] = []
        for item in items {
            switch item {
            case .string(let v): strings.append(v)
            case .int(let v): ints.append(v); doubles.append(Double(v))
            case .double(let v): doubles.append(v)
            case .bool(let v): bools.append(v)
            default:
                throw CoreError(
                    .configStructure, "\(fileName): the list at '\(key)' holds a nested list, object or null",
                    hints: ["configuration lists hold strings, numbers or booleans only"])
            }
        }
        if strings.count == items.count { return .stringArray(strings) }
        if ints.count == items.count { return .intArray(ints) }
        if doubles.count == items.count { return .doubleArray(doubles) }
        if bools.count == items.count { return .boolArray(bools) }
        throw CoreError(
            .configStructure, "\(fileName): the list at '\(key)' mixes types",
            hints: ["make every item of '\(key)' the same type: all strings, all numbers or all booleans"])
    }

    static func text(of content: ConfigContent) -> String {
        switch content {
        case .string(let v): v
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .bool(let v): String(v)
        case .bytes(let v): "\(v.count) bytes"
        case .stringArray(let v): "[" + v.map(JSONText.quoted).joined(separator: ", ") + "]"
        case .intArray(let v): "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .doubleArray(let v): "[" + v.map { String($0) }.joined(separator: ", ") + "]"
        case .boolArray(let v): "[" + v.map(String.init).joined(separator: ", ") + "]"
        case .byteChunkArray(let v): "\(v.count) byte chunks"
        }
    }
}

/// The effective configuration: layers of sources read through swift-configuration's `ConfigReader`.
///
/// Precedence, lowest to highest: built-in defaults, the base file (`config.json` or `config.yaml`),
/// the overlay `config.<env>.json` chosen by `BATCAT_ENV`, environment variables `BATCAT_…`, and
/// command-line overrides. A key `serve.keysFile` is read from the environment as
/// `BATCAT_SERVE_KEYS_FILE`.
///
/// ## Topics
/// - ``load(directory:environment:overrides:defaults:)``
/// - ``string(_:)``
/// - ``int(_:)``
/// - ``double(_:)``
/// - ``bool(_:)``
/// - ``stringArray(_:)``
/// - ``effectiveEntries()``
public struct Settings: Sendable {
    /// The environment variable prefix.
    public static let environmentPrefix = "BATCAT_"
    /// The variable that chooses the overlay file.
    public static let environmentSelector = "BATCAT_ENV"

    /// Every key BatCat reads. An environment variable maps to one of these (or to a key in a config file) before
    /// it is taken apart at its underscores, so `BATCAT_SERVE_KEYS_FILE` is `serve.keysFile`; `--set` of a
    /// key that is neither here nor in a config file is an error that suggests the nearest known key.
    public static let knownKeys: [String] = [
        "log.level", "log.format", "log.file",
        "registry.path", "registry.store", "registry.requireApproval",
        "serve.host", "serve.port", "serve.keysFile", "serve.rateLimit", "serve.burst", "serve.capture.dir", "serve.capture.fraction",
        "project.name",
    ]

    /// The sources, lowest precedence first.
    public let layers: [ConfigLayer]
    private let reader: ConfigReader

    /// Builds settings from layers given lowest precedence first.
    public init(layers: [ConfigLayer]) {
        self.layers = layers
        let providers: [any ConfigProvider] = layers.reversed().map(Settings.provider(for:))
        self.reader = ConfigReader(providers: providers.isEmpty ? [InMemoryProvider(values: [:])] : providers)
    }

    /// Loads the configuration of the project in `directory`.
    ///
    /// - Parameters:
    ///   - directory: The project folder holding `config.json` (or `config.yaml`); a missing file is fine.
    ///   - environment: The process environment (`BATCAT_ENV` and `BATCAT_…` variables).
    ///   - overrides: `key=value` pairs from the command line, highest precedence.
    ///   - defaults: Built-in values, lowest precedence.
    public static func load(
        directory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        overrides: [Override] = [],
        defaults: [String: String] = [:]
    ) throws(CoreError) -> Settings {
        var layers: [ConfigLayer] = []
        if !defaults.isEmpty { layers.append(.defaults(defaults)) }
        if let base = configFile(named: "config", in: directory) {
            layers.append(try .file(at: base.path, displayName: base.display))
        }
        if let env = environment[environmentSelector], !env.isEmpty {
            guard let overlay = configFile(named: "config.\(env)", in: directory) else {
                throw CoreError(
                    .configOverlayMissing,
                    "\(environmentSelector) is '\(env)' but there is no config.\(env).json or config.\(env).yaml in '\(directory)'",
                    hints: ["create config.\(env).json with the settings that differ in '\(env)', or unset \(environmentSelector)"])
            }
            layers.append(try .file(at: overlay.path, displayName: overlay.display))
        }
        let knownKeys = Set(layers.flatMap { $0.entries.keys } + Settings.knownKeys)
        for override in overrides where !knownKeys.contains(override.key) {
            let nearest = knownKeys.min { Settings.distance($0, override.key) < Settings.distance($1, override.key) }
            var hints = ["the settings are: \(Settings.knownKeys.joined(separator: ", "))"]
            if let nearest, Settings.distance(nearest, override.key) <= max(2, override.key.count / 4) {
                hints.insert("did you mean '\(nearest)'?", at: 0)
            }
            throw CoreError(.configBadOverride, "\(override.origin) names '\(override.key)', which is not a setting", hints: hints)
        }
        layers.append(environmentLayer(environment, knownKeys: knownKeys))
        layers.append(.commandLine(overrides))
        return Settings(layers: layers.filter { !$0.entries.isEmpty || $0.kind == .file })
    }

    private static func configFile(named stem: String, in directory: String) -> (path: String, display: String)? {
        for ext in ["json", "yaml", "yml"] {
            let path = (directory as NSString).appendingPathComponent("\(stem).\(ext)")
            if FileManager.default.fileExists(atPath: path) { return (path, "\(stem).\(ext)") }
        }
        return nil
    }

    private static func environmentLayer(_ environment: [String: String], knownKeys: Set<String>) -> ConfigLayer {
        let byEncoding = Dictionary(knownKeys.map { (environmentName(for: $0), $0) }, uniquingKeysWith: { a, _ in a })
        var values: [String: (text: String, origin: String)] = [:]
        for (name, value) in environment where name.hasPrefix(environmentPrefix) && name != environmentSelector {
            let suffix = String(name.dropFirst(environmentPrefix.count))
            guard !suffix.isEmpty else { continue }
            let key = byEncoding[suffix] ?? suffix.lowercased().replacingOccurrences(of: "_", with: ".")
            values[key] = (value, name)
        }
        return .text(kind: .environment, name: "environment", values: values)
    }

    /// A value set on the command line, highest precedence.
    public struct Override: Equatable, Sendable {
        /// The dotted key.
        public var key: String
        /// The value as text; converted when read.
        public var value: String
        /// The flag that set it, for `config show`: `--set log.level`, `-v`.
        public var origin: String

        /// Creates an override.
        public init(key: String, value: String, origin: String) {
            self.key = key
            self.value = value
            self.origin = origin
        }

        /// Parses `key=value` as given to `--set`.
        public init(parsing pair: String) throws(CoreError) {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw CoreError(
                    .configBadOverride, "the override '\(pair)' is not of the form key=value",
                    hints: ["write it as --set log.level=debug"])
            }
            let key = String(pair[..<equals])
            self.init(key: key, value: String(pair[pair.index(after: equals)...]), origin: "--set \(key)")
        }
    }

    /// The edit distance between two keys, case-insensitively, for "did you mean".
    static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a.lowercased())
        let y = Array(b.lowercased())
        var previous = Array(0...y.count)
        for i in 1...max(x.count, 1) where !x.isEmpty {
            var current = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...max(y.count, 1) where !y.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return x.isEmpty ? y.count : previous[y.count]
    }

    /// The environment variable (without the `BATCAT_` prefix) that sets a dotted key:
    /// `deploy.resultBucket` → `DEPLOY_RESULT_BUCKET`.
    public static func environmentName(for key: String) -> String {
        key.split(separator: ".").map { segment -> String in
            var out = ""
            var previous: Character?
            for character in segment {
                if let previous, previous.isLowercase, character.isUppercase { out.append("_") }
                out.append(character)
                previous = character
            }
            return out.uppercased()
        }.joined(separator: "_")
    }

    private static func provider(for layer: ConfigLayer) -> any ConfigProvider {
        switch layer.kind {
        case .file:
            var values: [AbsoluteConfigKey: ConfigValue] = [:]
            for (key, entry) in layer.entries {
                guard let content = entry.content else { continue }
                values[absoluteKey(key)] = ConfigValue(content, isSecret: Redaction.isSecret(key: key))
            }
            return InMemoryProvider(name: layer.name, values: values)
        case .defaults, .environment, .commandLine:
            var variables: [String: String] = [:]
            for (key, entry) in layer.entries { variables[environmentName(for: key)] = entry.text }
            return EnvironmentVariablesProvider(
                environmentVariables: variables, secretsSpecifier: .dynamic { name, _ in Redaction.isSecret(key: name) })
        }
    }

    private static func absoluteKey(_ key: String) -> AbsoluteConfigKey {
        AbsoluteConfigKey(key.split(separator: ".").map(String.init))
    }

    private static func configKey(_ key: String) -> ConfigKey {
        ConfigKey(key.split(separator: ".").map(String.init))
    }

    /// The entry that wins for `key`, and its layer.
    public func winningEntry(for key: String) -> ConfigLayer.Entry? {
        for layer in layers.reversed() {
            if let entry = layer.entries[key] { return entry }
        }
        return nil
    }

    private func typed<Value>(
        _ key: String, expected: String, read: (ConfigReader, ConfigKey) throws -> Value
    ) throws(CoreError) -> Value? {
        guard let entry = winningEntry(for: key) else { return nil }
        do {
            return try read(reader, Settings.configKey(key))
        } catch {
            let shown = Redaction.isSecret(key: key) ? "a secret value" : JSONText.quoted(entry.text)
            throw CoreError(
                .configWrongType, "configuration key '\(key)' (from \(entry.origin)) must be \(expected), but it is \(shown)",
                hints: ["change the value in \(entry.origin) to \(expected)"])
        }
    }

    /// The text value of `key`, or `nil` when no source sets it.
    public func string(_ key: String) throws(CoreError) -> String? {
        try typed(key, expected: "a string") { reader, configKey in
            try reader.requiredString(forKey: configKey, isSecret: Redaction.isSecret(key: key))
        }
    }

    /// The integer value of `key`, or `nil` when no source sets it.
    public func int(_ key: String) throws(CoreError) -> Int? {
        try typed(key, expected: "an integer") { reader, configKey in try reader.requiredInt(forKey: configKey) }
    }

    /// The number value of `key` (an integer reads as a number too), or `nil` when no source sets it.
    public func double(_ key: String) throws(CoreError) -> Double? {
        if let entry = winningEntry(for: key), case .int(let value)? = entry.content { return Double(value) }
        return try typed(key, expected: "a number") { reader, configKey in try reader.requiredDouble(forKey: configKey) }
    }

    /// The boolean value of `key`, or `nil` when no source sets it.
    public func bool(_ key: String) throws(CoreError) -> Bool? {
        try typed(key, expected: "true or false") { reader, configKey in try reader.requiredBool(forKey: configKey) }
    }

    /// The list of strings at `key`; from text sources, comma-separated.
    public func stringArray(_ key: String) throws(CoreError) -> [String]? {
        try typed(key, expected: "a list of strings") { reader, configKey in
            try reader.requiredStringArray(forKey: configKey)
        }
    }

    /// A value that must be present: `nil` becomes an error naming the key and where to set it.
    public func required<Value>(_ key: String, _ read: (String) throws(CoreError) -> Value?) throws(CoreError) -> Value {
        guard let value = try read(key) else {
            throw CoreError(
                .configMissingKey, "configuration key '\(key)' is not set",
                hints: [
                    "set it in config.json, as \(Settings.environmentPrefix)\(Settings.environmentName(for: key)), or with --set \(key)=VALUE"
                ])
        }
        return value
    }

    /// One line of `batcat config show`: a key, its effective value (secrets redacted) and its source.
    public struct EffectiveEntry: Codable, Equatable, Sendable {
        /// The dotted key.
        public var key: String
        /// The value as written, or `<redacted>`.
        public var value: String
        /// Where the value comes from.
        public var source: String
        /// Whether the value was hidden.
        public var redacted: Bool
    }

    /// Every key with its winning value and source, sorted by key; secret-looking values are redacted.
    public func effectiveEntries() -> [EffectiveEntry] {
        let keys = Set(layers.flatMap { $0.entries.keys }).sorted()
        return keys.compactMap { key in
            guard let entry = winningEntry(for: key) else { return nil }
            let secret = Redaction.isSecret(key: key)
            let shown = Redaction.displayValue(entry.text, forKey: key)
            return EffectiveEntry(key: key, value: shown, source: entry.origin, redacted: secret || shown != entry.text)
        }
    }
}
