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

    /// `text` with the password of every URL in it replaced by ``placeholder``: `postgresql://ml:s3cret@db/x` becomes
    /// `postgresql://ml:<redacted>@db/x`, and a query's `password=`, `secret=` or `token=` value likewise. Messages
    /// and log lines pass through this before they are printed.
    public static func redactingURLSecrets(_ text: String) -> String {
        guard text.contains("://") || text.contains("=") else { return text }
        var out = text.replacing(/([A-Za-z][A-Za-z0-9+.\-]*:\/\/[^\s:\/@]*):[^\s@\/]*@/) { match in "\(match.1):\(placeholder)@" }
        out = out.replacing(/([?&](?i:password|passwd|pwd|secret|token|sslpassword)=)[^&\s'"]*/) { match in "\(match.1)\(placeholder)" }
        return out
    }

    /// The value itself, or ``placeholder`` when the key looks secret.
    public static func displayValue(_ value: String, forKey key: String) -> String {
        isSecret(key: key) ? placeholder : redactingURLSecrets(value)
    }
}
