/// The version of this BatCat build, as `batcat --version` prints it and artifacts record it.
public enum BatCatVersion {
    /// Semantic version of the toolkit.
    public static let current = "0.1.0"
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
