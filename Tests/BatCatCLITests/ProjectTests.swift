import Foundation
import Testing

@Suite("A first project, its registry and its configuration", .serialized)
struct ProjectTests {
    @Test("batcat new, then train, score and serve in the project work with the example it ships")
    func firstProject() async throws {
        let work = try WorkFolder()
        #expect(try Transcript.run(["new", "demo", "-q"], in: work.url).status == 0)
        let project = work.url.appendingPathComponent("demo")
        let train = try Transcript.run(["train"], in: project)
        #expect(train.status == 0, "\(train)")
        #expect(train.stderr.contains("Registered demo version 1 (production)"), "\(train)")
        // From a folder inside the project, the project's registry is found.
        let inside = project.appendingPathComponent("data/result")
        let score = try Transcript.run(["score", "--model", "demo", "--input", "../raw", "--output", "."], in: inside)
        #expect(score.status == 0, "\(score)")
        #expect(FileManager.default.fileExists(atPath: inside.appendingPathComponent("biopsy.predictions.csv").path))
        let key = try Transcript.run(["keys", "new", "me", "--file", "keys.txt", "-q"], in: project).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try ServerProcess(["--model", "demo", "--keys-file", "keys.txt"], in: project)
        #expect(server.port > 0, "\(server.standardError)")
        let row = "[5, 1, 1, 1, 2, 1, 3, 1, 1]"
        let answer = try await server.post("/stream", #"{"x": [\#(row)]}"#, key: key)
        #expect(answer.status == 200 && answer.body == "2", "\(answer)")
        #expect(server.stop() == 0)
        // Every file the scaffold writes is read by a command: no deploy settings or paths nothing reads.
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent("deploy/config.json").path))
        #expect(!(try String(contentsOf: project.appendingPathComponent("config.json"), encoding: .utf8)).contains("\"paths\""))
    }

    @Test("batcat train without a spec outside a project says what to do")
    func noSpec() throws {
        let work = try WorkFolder()
        let run = try Transcript.run(["train"], in: work.url)
        #expect(run.status == 1)
        #expect(run.stderr.contains("no training spec was given, and there is no train.yaml"), "\(run)")
    }

    @Test("--registry and BATCAT_REGISTRY choose the registry over the project's")
    func registryOverride() throws {
        let work = try WorkFolder()
        #expect(try Transcript.run(["new", "p", "-q"], in: work.url).status == 0)
        let project = work.url.appendingPathComponent("p")
        #expect(try Transcript.run(["train", "-q"], in: project).status == 0)
        let other = work.url.appendingPathComponent("other.sqlite").path
        let flag = try Transcript.run(["registry", "list", "--registry", other, "--format", "json"], in: project)
        #expect(flag.status == 0 && !flag.stdout.contains("\"p\""), "\(flag)")
        #expect(FileManager.default.fileExists(atPath: other))
        let env = try Transcript.run(["registry", "list", "--format", "json"], in: project, environment: ["BATCAT_REGISTRY": "sqlite://\(other)"])
        #expect(env.status == 0 && !env.stdout.contains("\"p\""), "\(env)")
        let own = try Transcript.run(["registry", "list", "--format", "json"], in: project)
        #expect(own.stdout.contains("\"p\""), "\(own)")
    }

    @Test("A PostgreSQL URL as registry.path is refused, naming the setting, with the password redacted and nothing made on disk")
    func registryURL() throws {
        let work = try WorkFolder()
        try work.write("config.json", #"{"registry": {"path": "postgresql://ml:hunter2@db.example:5432/registry"}}"#)
        let run = try Transcript.run(["registry", "list"], in: work.url)
        #expect(run.status == 1)
        #expect(run.stderr.contains("registry location from config.json is a 'postgresql' URL"), "\(run)")
        #expect(!run.stderr.contains("hunter2") && run.stderr.contains("ml:<redacted>@db.example"), "\(run)")
        let entries = try FileManager.default.contentsOfDirectory(atPath: work.url.path)
        #expect(entries.sorted() == ["config.json"], "\(entries)")
        let flag = try Transcript.run(["registry", "list", "--registry", "postgresql://ml:hunter2@db/x"], in: work.url)
        #expect(flag.status == 1 && flag.stderr.contains("from --registry") && !flag.stderr.contains("hunter2"), "\(flag)")
        let show = try Transcript.run(["config", "show"], in: work.url)
        #expect(!show.stdout.contains("hunter2"), "\(show)")
    }

    @Test("log.file and log.format from the project's config are honoured by every command, not only serve and score")
    func configEverywhere() throws {
        let work = try WorkFolder()
        try work.write("config.json", #"{"log": {"format": "json", "file": "log/batcat.log"}}"#)
        try work.write("t.csv", "a,b\n1,2\n3,4\n")
        try work.write("sub/.keep", "")
        for arguments in [["describe", "../t.csv", "-v"], ["head", "../t.csv", "-v"]] {
            let run = try Transcript.run(arguments, in: work.url.appendingPathComponent("sub"))
            #expect(run.status == 0, "\(run)")
        }
        let log = try work.read("log/batcat.log")
        #expect(log.contains("\"label\":\"batcat.describe\"") || log.contains("batcat.describe"), "\(log)")
        #expect(log.contains("batcat.head"), "\(log)")
        #expect(log.split(separator: "\n").allSatisfy { $0.hasPrefix("{") }, "\(log)")
    }

    @Test("Environment variables map to the README's keys; --set of an unknown key suggests the right one")
    func environmentKeys() throws {
        let work = try WorkFolder()
        try work.write("config.json", "{}")
        let show = try Transcript.run(
            ["config", "show", "--format", "json"], in: work.url,
            environment: ["BATCAT_SERVE_KEYS_FILE": "k.txt", "BATCAT_LOG_LEVEL": "debug", "BATCAT_REGISTRY_REQUIRE_APPROVAL": "true"])
        #expect(show.status == 0, "\(show)")
        #expect(show.stdout.contains("\"serve.keysFile\""), "\(show)")
        #expect(show.stdout.contains("\"registry.requireApproval\""), "\(show)")
        #expect(show.stdout.contains("\"log.level\""), "\(show)")
        let typo = try Transcript.run(["config", "show", "--set", "log.levle=debug"], in: work.url)
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("'log.levle', which is not a setting") && typo.stderr.contains("did you mean 'log.level'?"), "\(typo)")
    }

    @Test("batcat demo works from any folder with its built-in examples; --examples naming a missing folder is an error")
    func demoAnywhere() throws {
        let work = try WorkFolder()
        let demo = try Transcript.run(["demo", "--dir", work.url.appendingPathComponent("d").path], in: work.url)
        #expect(demo.status == 0, "\(demo)")
        let missing = try Transcript.run(["demo", "--examples", "/missing", "--dir", work.url.appendingPathComponent("e").path], in: work.url)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("--examples /missing has no readable diabetes-bmi/diabetes.csv"), "\(missing)")
    }
}
