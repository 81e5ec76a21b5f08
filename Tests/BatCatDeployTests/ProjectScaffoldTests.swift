import BatCatDeploy
import Foundation
import Testing

@Suite("Project scaffold")
struct ProjectScaffoldTests {
    private func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("batcat-scaffold-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("Names of letters, digits, '-' and '_' are accepted", arguments: ["demo", "churn-model", "model_2", "_x", "A1"])
    func goodNames(name: String) throws {
        try ProjectScaffold.validate(name: name)
    }

    @Test(
        "Empty names, dots, slashes, paths and spaces are refused", arguments: ["", "..", ".", "a/b", "/abs", "a b", "-x", "über", "x.y"])
    func badNames(name: String) {
        let error = #expect(throws: DeployError.self) { try ProjectScaffold.validate(name: name) }
        #expect(error?.code == .invalidProjectName)
        #expect(error?.message.contains("use letters, digits, '-' and '_' only") == true)
    }

    @Test("A fresh project has every folder, a .gitkeep in each empty one, and configuration that parses")
    func freshProject() throws {
        let parent = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let result = try ProjectScaffold(name: "demo").create(in: parent, force: false)
        #expect(result.kept.isEmpty)
        for folder in [
            "data/raw", "data/train", "data/test", "data/result", "data/tmp", "log", "model", "test", "notebook", "report", "script",
        ] {
            #expect(FileManager.default.fileExists(atPath: result.folder.appendingPathComponent("\(folder)/.gitkeep").path))
        }
        for json in ["config.json", "config.prod.json"] {
            let data = try Data(contentsOf: result.folder.appendingPathComponent(json))
            #expect(try JSONSerialization.jsonObject(with: data) is [String: Any], "\(json) is not a JSON object")
        }
        // The training spec names the example data the scaffold ships, and registers the model under the project's name.
        let spec = try String(contentsOf: result.folder.appendingPathComponent("train.yaml"), encoding: .utf8)
        #expect(spec.contains("data: data/raw/biopsy.csv") && spec.contains("register: {model: demo, stage: production}"))
        let data = try String(contentsOf: result.folder.appendingPathComponent("data/raw/biopsy.csv"), encoding: .utf8)
        #expect(data == EmbeddedExamples.biopsy)
        #expect(!FileManager.default.fileExists(atPath: result.folder.appendingPathComponent("deploy").path))
    }

    @Test("The examples built into the binary are the files under examples/ (examples/embed-examples.py writes them)")
    func embeddedExamples() throws {
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples")
        #expect(EmbeddedExamples.files.count == 2)
        for (path, text) in EmbeddedExamples.files {
            let file = try String(contentsOf: examples.appendingPathComponent(path), encoding: .utf8)
            #expect(file == text, "\(path) differs from its built-in copy: run examples/embed-examples.py")
        }
    }

    @Test("An existing folder that is not empty is refused without --force")
    func refusesNonEmpty() throws {
        let parent = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        try FileManager.default.createDirectory(at: parent.appendingPathComponent("demo"), withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: parent.appendingPathComponent("demo/notes.txt"))
        let error = #expect(throws: DeployError.self) { try ProjectScaffold(name: "demo").create(in: parent, force: false) }
        #expect(error?.code == .folderNotEmpty)
        #expect(error?.hints.first?.contains("--force") == true)
    }

    @Test("--force adds the missing files and overwrites none")
    func forceAddsOnlyMissing() throws {
        let parent = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let scaffold = try ProjectScaffold(name: "demo")
        let first = try scaffold.create(in: parent, force: false)
        let readme = first.folder.appendingPathComponent("README.md")
        try Data("my own readme".utf8).write(to: readme)
        try FileManager.default.removeItem(at: first.folder.appendingPathComponent("config.json"))
        let second = try scaffold.create(in: parent, force: true)
        #expect(second.created == ["config.json"])
        #expect(second.kept.count == scaffold.files.count - 1)
        #expect(try String(contentsOf: readme, encoding: .utf8) == "my own readme")
    }

    @Test("The .gitignore keeps data files out of git but keeps the data folders")
    func gitignoreKeepsFoldersNotData() throws {
        let parent = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let result = try ProjectScaffold(name: "demo").create(in: parent, force: false)
        func ignored(_ path: String) throws -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["-C", result.folder.path, "check-ignore", "-q", path]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", result.folder.path, "init", "-q"]
        try git.run()
        git.waitUntilExit()
        #expect(try ignored("data/raw/customers.csv"))
        #expect(try ignored("data/result/2026/predictions.csv"))
        #expect(try ignored("log/batcat.log"))
        #expect(try !ignored("data/raw/.gitkeep"))
        #expect(try !ignored("log/.gitkeep"))
        #expect(try !ignored("config.json"))
        #expect(try !ignored("model/.gitkeep"))
    }

    @Test("The tree lists folders before their contents, each level sorted")
    func tree() {
        let text = ProjectScaffold.tree(root: "p", paths: ["b.txt", "a/z", "a/y", ".hidden"])
        #expect(text == "p/\n├── .hidden\n├── a/\n│   ├── y\n│   └── z\n└── b.txt\n")
    }
}
