import BatCatCore
import Foundation

/// The layout of a new BatCat data-science project, and the code that writes it to disk.
///
/// ```swift
/// let result = try ProjectScaffold(name: "churn").create(in: URL(fileURLWithPath: "."), force: false)
/// print(result.tree)
/// ```
///
/// ## Topics
/// - ``validate(name:)``
/// - ``files``
/// - ``create(in:force:)``
/// - ``Result``
public struct ProjectScaffold: Sendable {
    /// The project's name, which is also its folder's name.
    public let name: String

    /// Creates a scaffold for `name`, after checking the name.
    public init(name: String) throws(DeployError) {
        try ProjectScaffold.validate(name: name)
        self.name = name
    }

    /// Checks that `name` is letters, digits, `-` and `_` only, and not empty.
    public static func validate(name: String) throws(DeployError) {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
        }
        guard !name.isEmpty, allowed, !name.hasPrefix("-") else {
            let shown = name.isEmpty ? "an empty name" : "'\(name)'"
            throw DeployError(
                .invalidProjectName,
                "\(shown) is not a valid project name: use letters, digits, '-' and '_' only, starting with a letter, digit or '_'",
                hints: ["for example: batcat new churn-model"])
        }
    }

    /// One file of the scaffold: a path relative to the project folder and its contents.
    public struct File: Sendable, Equatable {
        /// Path relative to the project folder, with `/` separators.
        public var path: String
        /// The file's text.
        public var contents: String
    }

    /// Folders that start empty; each gets a `.gitkeep` so that git keeps it.
    public static let emptyFolders = [
        "data/raw", "data/train", "data/test", "data/result", "data/tmp",
        "log", "model", "test", "notebook", "report", "script",
    ]

    /// The example training spec a new project ships (breast-cancer data in `data/raw/biopsy.csv`), for a model
    /// named `name`; `register` adds registering it in production.
    public static func exampleSpec(name: String, register: Bool) -> String {
        ScaffoldTemplates.trainingSpec(name: name, register: register)
    }

    /// Every file the scaffold writes.
    public var files: [File] {
        var files = [
            File(path: "README.md", contents: ScaffoldTemplates.readme(name: name)),
            File(path: ".gitignore", contents: ScaffoldTemplates.gitignore),
            File(path: "docs/README.md", contents: ScaffoldTemplates.docsGuide(name: name)),
            File(path: "config.json", contents: ScaffoldTemplates.config(name: name)),
            File(path: "config.prod.json", contents: ScaffoldTemplates.prodConfig),
            File(path: "train.yaml", contents: ScaffoldTemplates.trainingSpec(name: name)),
            File(path: "data/raw/biopsy.csv", contents: EmbeddedExamples.biopsy),
        ]
        files += ProjectScaffold.emptyFolders.map { File(path: "\($0)/.gitkeep", contents: "") }
        return files
    }

    /// What ``create(in:force:)`` did.
    public struct Result: Sendable, Equatable {
        /// The project folder.
        public var folder: URL
        /// Files written, relative to the folder, sorted.
        public var created: [String]
        /// Files that already existed and were left as they were, sorted.
        public var kept: [String]
        /// The project's tree (every scaffold file and folder), sorted, one line per entry.
        public var tree: String
    }

    /// Writes the project into `parent/name`.
    ///
    /// A folder that exists and is not empty is refused unless `force` is set; with `force`, files that
    /// are missing are added and files that exist are never overwritten.
    public func create(in parent: URL, force: Bool) throws(DeployError) -> Result {
        let folder = parent.appendingPathComponent(name, isDirectory: true)
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DeployError(
                    .notAFolder, "'\(name)' exists and is a file, not a folder",
                    hints: ["choose another name, or move the file away"])
            }
            let contents = (try? manager.contentsOfDirectory(atPath: folder.path)) ?? []
            if !contents.isEmpty && !force {
                throw DeployError(
                    .folderNotEmpty, "the folder '\(name)' already exists and is not empty",
                    hints: [
                        "choose another name, or run `batcat new \(name) --force` to add only the missing files (existing files are never overwritten)"
                    ])
            }
        }
        var created: [String] = []
        var kept: [String] = []
        for file in files {
            let target = folder.appendingPathComponent(file.path)
            if manager.fileExists(atPath: target.path) {
                kept.append(file.path)
                continue
            }
            do {
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents.utf8).write(to: target, options: .withoutOverwriting)
            } catch {
                throw DeployError(
                    .writeFailed, "cannot write '\(name)/\(file.path)': \(error.localizedDescription)",
                    hints: ["check that '\(parent.path)' is writable and the disk is not full"])
            }
            created.append(file.path)
        }
        return Result(
            folder: folder, created: created.sorted(), kept: kept.sorted(),
            tree: ProjectScaffold.tree(root: name, paths: files.map(\.path)))
    }

    /// Draws paths as a tree, each folder's entries sorted by name.
    public static func tree(root: String, paths: [String]) -> String {
        final class Node {
            var children: [String: Node] = [:]
        }
        let top = Node()
        for path in paths {
            var node = top
            for part in path.split(separator: "/").map(String.init) {
                if let next = node.children[part] {
                    node = next
                } else {
                    let next = Node()
                    node.children[part] = next
                    node = next
                }
            }
        }
        var lines = ["\(root)/"]
        func draw(_ node: Node, prefix: String) {
            let names = node.children.keys.sorted()
            for (index, name) in names.enumerated() {
                let child = node.children[name]!
                let last = index == names.count - 1
                let suffix = child.children.isEmpty ? "" : "/"
                lines.append(prefix + (last ? "└── " : "├── ") + name + suffix)
                draw(child, prefix: prefix + (last ? "    " : "│   "))
            }
        }
        draw(top, prefix: "")
        return lines.joined(separator: "\n") + "\n"
    }
}
