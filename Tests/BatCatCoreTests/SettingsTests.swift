import BatCatCore
import Foundation
import Testing

@Suite("Configuration")
struct SettingsTests {
    /// A project with a base file and a prod overlay, both setting `a.b` among others.
    private func project() throws -> TemporaryFolder {
        let folder = try TemporaryFolder()
        try folder.write(
            "config.json", #"{"a": {"b": "file", "c": "file"}, "server": {"port": 8000}, "deploy": {"resultBucket": "s3://base"}}"#)
        try folder.write("config.prod.json", #"{"a": {"b": "overlay"}}"#)
        return folder
    }

    @Test("Each source overrides the ones below it: defaults, file, overlay, environment, command line")
    func precedenceChain() throws {
        let folder = try project()
        let defaults = ["a.b": "default", "only.default": "d"]
        func value(_ environment: [String: String], _ overrides: [Settings.Override] = []) throws -> (String?, String?) {
            let settings = try Settings.load(directory: folder.path, environment: environment, overrides: overrides, defaults: defaults)
            return (try settings.string("a.b"), settings.winningEntry(for: "a.b")?.origin)
        }
        #expect(try value([:]) == ("file", "config.json"))
        #expect(try value(["BATCAT_ENV": "prod"]) == ("overlay", "config.prod.json"))
        #expect(try value(["BATCAT_ENV": "prod", "BATCAT_A_B": "env"]) == ("env", "BATCAT_A_B"))
        #expect(
            try value(["BATCAT_ENV": "prod", "BATCAT_A_B": "env"], [.init(key: "a.b", value: "flag", origin: "--set a.b")])
                == ("flag", "--set a.b"))
        let settings = try Settings.load(directory: folder.path, environment: ["BATCAT_ENV": "prod"], defaults: defaults)
        #expect(try settings.string("a.c") == "file")
        #expect(try settings.string("only.default") == "d")
        #expect(try settings.string("not.set") == nil)
    }

    @Test("Environment variables are typed on access and map camelCase keys to underscores")
    func environmentTyping() throws {
        let folder = try project()
        let settings = try Settings.load(
            directory: folder.path,
            environment: ["BATCAT_SERVER_PORT": "9090", "BATCAT_DEPLOY_RESULT_BUCKET": "s3://env", "BATCAT_FEATURE_ON": "true"])
        #expect(try settings.int("server.port") == 9090)
        #expect(try settings.string("deploy.resultBucket") == "s3://env")
        #expect(try settings.bool("feature.on") == true)
        #expect(try settings.double("server.port") == 9090)
    }

    @Test("YAML files are read like JSON ones")
    func yamlBase() throws {
        let folder = try TemporaryFolder()
        try folder.write("config.yaml", "log:\n  level: debug\nlimits:\n  rows: 10\n  ratio: 0.5\n  columns: [a, b]\n")
        let settings = try Settings.load(directory: folder.path, environment: [:])
        #expect(try settings.string("log.level") == "debug")
        #expect(try settings.int("limits.rows") == 10)
        #expect(try settings.double("limits.ratio") == 0.5)
        #expect(try settings.stringArray("limits.columns") == ["a", "b"])
        #expect(settings.winningEntry(for: "log.level")?.origin == "config.yaml")
    }

    @Test("A missing required key names the key and the places to set it")
    func missingKey() throws {
        let folder = try project()
        let settings = try Settings.load(directory: folder.path, environment: [:])
        let error = #expect(throws: CoreError.self) { try settings.required("registry.url", settings.string) }
        #expect(error?.code == .configMissingKey)
        #expect(error?.message == "configuration key 'registry.url' is not set")
        #expect(error?.hints == ["set it in config.json, as BATCAT_REGISTRY_URL, or with --set registry.url=VALUE"])
    }

    @Test(
        "A wrong type names the key, the source and the expected type",
        arguments: [
            ([String: String](), "configuration key 'a.b' (from config.json) must be an integer, but it is \"file\""),
            (["BATCAT_A_B": "many"], "configuration key 'a.b' (from BATCAT_A_B) must be an integer, but it is \"many\""),
        ])
    func wrongType(environment: [String: String], message: String) throws {
        let folder = try project()
        let settings = try Settings.load(directory: folder.path, environment: environment)
        let error = #expect(throws: CoreError.self) { try settings.int("a.b") }
        #expect(error?.code == .configWrongType)
        #expect(error?.message == message)
    }

    @Test(
        "A JSON syntax error names the file, line and column",
        arguments: [
            ("{\n  \"a\": 1,\n  \"b\": x\n}", "config.json:3:8: invalid JSON: unexpected character 'x', expected a value"),
            ("{\n  \"a\": 1,\n}", "config.json:3:1: invalid JSON: expected a quoted key (no trailing comma before '}')"),
            ("{\"a\": tru}", "config.json:1:7: invalid JSON: expected 'true'"),
            ("{\"a\": \"open\n", "config.json:1:12: invalid JSON: control character inside a string (escape newlines as \\n)"),
            ("{\"a\": 1", "config.json:1:8: invalid JSON: unexpected end of file, expected ',' or '}'"),
        ])
    func jsonSyntax(text: String, message: String) throws {
        let folder = try TemporaryFolder()
        try folder.write("config.json", text)
        let error = #expect(throws: CoreError.self) { try Settings.load(directory: folder.path, environment: [:]) }
        #expect(error?.code == .configSyntax)
        #expect(error?.message == message)
    }

    @Test("A YAML syntax error names the file, line and column")
    func yamlSyntax() throws {
        let folder = try TemporaryFolder()
        try folder.write("config.yaml", "log:\n  level: info\n  format: [human\n")
        let error = #expect(throws: CoreError.self) { try Settings.load(directory: folder.path, environment: [:]) }
        #expect(error?.code == .configSyntax)
        let message = error?.message ?? ""
        #expect(try #/^config\.yaml:\d+:\d+: invalid YAML: .+/#.wholeMatch(in: message) != nil, "message was: \(message)")
    }

    @Test("An overlay named by BATCAT_ENV must exist")
    func missingOverlay() throws {
        let folder = try project()
        let error = #expect(throws: CoreError.self) { try Settings.load(directory: folder.path, environment: ["BATCAT_ENV": "staging"]) }
        #expect(error?.code == .configOverlayMissing)
        #expect(error?.message.contains("config.staging.json") == true)
    }

    @Test("Effective entries list every key with its source and redact secret-looking keys")
    func redaction() throws {
        let folder = try TemporaryFolder()
        try folder.write(
            "config.json",
            #"{"database": {"password": "hunter2", "host": "db"}, "keys": {"file": "keys.txt"}, "aws": {"secretAccessKey": "abc"}, "service": {"credential": "file"}}"#)
        let settings = try Settings.load(
            directory: folder.path, environment: ["BATCAT_API_TOKEN": "tok"],
            overrides: [.init(key: "service.credential", value: "c", origin: "--set service.credential")])
        let entries = settings.effectiveEntries()
        #expect(
            entries.map(\.key) == [
                "api.token", "aws.secretAccessKey", "database.host", "database.password", "keys.file", "service.credential",
            ])
        #expect(entries.map(\.value) == ["<redacted>", "<redacted>", "db", "<redacted>", "keys.txt", "<redacted>"])
        #expect(
            entries.map(\.source) == [
                "BATCAT_API_TOKEN", "config.json", "config.json", "config.json", "config.json", "--set service.credential",
            ])
    }

    @Test("A malformed --set pair is refused with the right form")
    func badOverride() {
        let error = #expect(throws: CoreError.self) { try Settings.Override(parsing: "log.level") }
        #expect(error?.message == "the override 'log.level' is not of the form key=value")
    }

    @Test("A list mixing types is refused, naming the key")
    func mixedList() throws {
        let folder = try TemporaryFolder()
        try folder.write("config.json", #"{"features": ["age", 3]}"#)
        let error = #expect(throws: CoreError.self) { try Settings.load(directory: folder.path, environment: [:]) }
        #expect(error?.message == "config.json: the list at 'features' mixes types")
    }
}
