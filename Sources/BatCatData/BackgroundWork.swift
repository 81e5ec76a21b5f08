import Dispatch

/// Work started on another thread as soon as it is made; ``value()`` waits for its result.
///
/// ```swift
/// let digest = BackgroundWork { () throws(MyError) -> String in try hash(file) }
/// let model = try fit(data)          // meanwhile
/// let fingerprint = try digest.value()
/// ```
public final class BackgroundWork<Value, Failure: Error>: @unchecked Sendable {
    // Written once by the worker before the group is left; read only after waiting on the group.
    private var result: Result<Value, Failure>?
    private let group = DispatchGroup()

    /// Starts `work` on a queue of its own. Not on a global queue: those run no more threads than there
    /// are cores, and work that waits there for other work (a parse waiting on its read-ahead) would
    /// wait for a free thread too.
    public init(_ work: @escaping @Sendable () throws(Failure) -> Value) {
        DispatchQueue(label: "batcat.background").async(group: group) {
            do throws(Failure) {
                self.result = .success(try work())
            } catch {
                self.result = .failure(error)
            }
        }
    }

    /// Waits for the work, then returns its value or throws its error.
    public func value() throws(Failure) -> Value {
        group.wait()
        return try result!.get()
    }
}
