/// The version of this BatCat build, as `batcat --version` prints it and artifacts record it.
public enum BatCatVersion {
    /// Semantic version of the toolkit.
    public static let current = "0.1.0"
}
