/// Decides which values are secrets, so that logs, errors and `config show` never print them.
public enum Redaction {
    /// What a secret value is shown as.
    public static let placeholder = "<redacted>"

    /// Words that mark a key as holding a secret, matched case-insensitively anywhere in the key's last segment.
    public static let secretWords = ["password", "passwd", "secret", "token", "key", "credential"]

    /// Whether a configuration or metadata key looks like it holds a secret.
    ///
    /// Only the last dotted segment counts: `database.password` and `aws.secretAccessKey` are secret,
    /// `keys.file` is not (its value is a path, not a key).
    public static func isSecret(key: String) -> Bool {
        let lastSegment = key.split(separator: ".").last.map(String.init) ?? key
        let lowered = lastSegment.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    /// The value itself, or ``placeholder`` when the key looks secret.
    public static func displayValue(_ value: String, forKey key: String) -> String {
        isSecret(key: key) ? placeholder : value
    }
}
