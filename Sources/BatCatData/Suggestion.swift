/// "Did you mean" for names a user typed: the nearest of the known names by edit distance.
public enum Suggestion {
    /// The known name nearest to `typed` (case-insensitively), when it is near enough to be a typo: at most two
    /// edits, or a third of the typed name's length.
    public static func nearest(to typed: String, among known: [String]) -> String? {
        let limit = max(2, typed.count / 3)
        var best: (name: String, distance: Int)?
        for name in known {
            let distance = editDistance(name.lowercased(), typed.lowercased())
            if distance <= limit, distance < best?.distance ?? .max { best = (name, distance) }
        }
        return best?.name
    }

    /// The Levenshtein distance: insertions, deletions and substitutions of characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        guard !x.isEmpty, !y.isEmpty else { return max(x.count, y.count) }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
