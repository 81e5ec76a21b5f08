import BatCatML
import BatCatRegistry
import BatCatStorage

/// Where a model comes from: an artifact file, or a registered model's version.
public enum ModelSource: Sendable, Equatable {
    /// An artifact at a location (a path or `file://` URL).
    case file(String)
    /// A registered model, by stage, version number or alias.
    case registered(String, VersionSelector)
}

/// A model ready to use: its name, its registry version (`nil` for a file), and the sealed artifact.
public struct LoadedModel: Sendable {
    /// The model's name: the registered name, or the artifact's own for a file.
    public let name: String
    /// The registry version, `nil` for a file.
    public let version: Int?
    /// The artifact with its digest, checked once.
    public let sealed: SealedArtifact

    /// The artifact.
    public var artifact: ModelArtifact { sealed.artifact }
}

/// The one way every command loads a model (train's checks, serve, score, predict, evaluate, inspect).
public enum ModelLoader {
    /// Loads an artifact file.
    public static func load(file location: String) async throws(RegistryError) -> LoadedModel {
        try await load(.file(location), registry: { throw RegistryError(.notFound, "no registry is needed to load a file") })
    }

    /// Loads the model `source` names; `registry` is opened only for a registered model.
    public static func load(
        _ source: ModelSource, registry: () throws -> Registry
    ) async throws(RegistryError) -> LoadedModel {
        switch source {
        case .file(let location):
            let bytes: [UInt8]
            do {
                bytes = try await ObjectStores.read(location)
            } catch where error.code == .unsupportedScheme {
                throw RegistryError(.store, error.message, hints: error.hints)
            } catch {
                throw RegistryError(
                    .store, "cannot read the artifact: \(error.message)", hints: ["check the path; `batcat train SPEC` writes one"])
            }
            do {
                let sealed = try ModelArtifact.open(bytes, name: location)
                return LoadedModel(name: sealed.artifact.name, version: nil, sealed: sealed)
            } catch {
                throw RegistryError(.invalidArtifact, error.message, hints: error.hints)
            }
        case .registered(let name, let selector):
            let opened: Registry
            do {
                opened = try registry()
            } catch let error as RegistryError {
                throw error
            } catch {
                throw RegistryError(.database, "cannot open the registry to load '\(name)': \(error)")
            }
            let chosen = try await opened.resolve(name, selector)
            return LoadedModel(name: name, version: chosen.version, sealed: try await opened.artifact(for: chosen))
        }
    }
}
