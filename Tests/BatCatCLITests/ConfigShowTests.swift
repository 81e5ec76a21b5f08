import Foundation
import Testing

@Suite("batcat config show")
struct ConfigShowTests {
    private func project() throws -> WorkFolder {
        let work = try WorkFolder()
        try work.write("config.json", #"{"log": {"level": "info"}, "database": {"host": "db", "password": "hunter2"}}"#)
        try work.write("config.prod.json", #"{"log": {"format": "json"}}"#)
        return work
    }

    @Test("It prints every key with its value and source, redacting secrets")
    func text() throws {
        let work = try project()
        let transcript = try Transcript.run(
            ["config", "show", "--set", "database.host=flag-db"], in: work.url,
            environment: ["BATCAT_ENV": "prod", "BATCAT_API_TOKEN": "abc123"])
        #expect(
            transcript
                == Transcript(
                    stdout: """
                        api.token          <redacted>  # BATCAT_API_TOKEN
                        database.host      flag-db     # --set database.host
                        database.password  <redacted>  # config.json
                        log.format         json        # config.prod.json
                        log.level          info        # config.json

                        """,
                    stderr: "", status: 0))
        #expect(!transcript.stdout.contains("hunter2") && !transcript.stdout.contains("abc123"))
    }

    @Test("Outside a project it shows the built-in defaults and the flags")
    func defaults() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["config", "show", "-v"], in: work.url)
        #expect(transcript == Transcript(stdout: "log.format  human  # default\nlog.level   debug  # -v\n", stderr: "", status: 0))
    }

    @Test("--format json prints a versioned object")
    func json() throws {
        let work = try project()
        let transcript = try Transcript.run(["config", "show", "--format", "json"], in: work.url)
        #expect(transcript.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(transcript.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        let entries = try #require(object["entries"] as? [[String: Any]])
        #expect(entries.map { $0["key"] as? String } == ["database.host", "database.password", "log.format", "log.level"])
        #expect(entries[1]["value"] as? String == "<redacted>")
        #expect(entries[1]["redacted"] as? Bool == true)
    }

    @Test("A syntax error names the file, line and column, and exits 1")
    func syntaxError() throws {
        let work = try WorkFolder()
        try work.write("config.json", "{\n  \"log\": {\"level\": \"info\",}\n}\n")
        let transcript = try Transcript.run(["config", "show"], in: work.url)
        #expect(
            transcript
                == Transcript(
                    stdout: "",
                    stderr: """
                        error: config.json:2:27: invalid JSON: expected a quoted key (no trailing comma before '}')
                        hint: fix the file at line 2, column 27; JSON allows no comments and no trailing commas

                        """,
                    status: 1))
    }

    @Test("A log level that is not one of the five is refused, naming its source")
    func badLevel() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["config", "show"], in: work.url, environment: ["BATCAT_LOG_LEVEL": "loud"])
        #expect(
            transcript
                == Transcript(
                    stdout: "",
                    stderr: """
                        error: configuration key 'log.level' (from BATCAT_LOG_LEVEL) must be one of debug, info, warning, error, critical, but it is "loud"
                        hint: change the value in BATCAT_LOG_LEVEL

                        """,
                    status: 1))
    }

    @Test("--log-file writes debug lines to the file")
    func logFile() throws {
        let work = try WorkFolder()
        let transcript = try Transcript.run(["new", "demo", "-v", "--log-file", "run.log"], in: work.url)
        #expect(transcript.status == 0)
        let log = try work.read("run.log")
        #expect(log.contains(" debug batcat.new: scaffold written project.folder="))
    }
}
