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

    /// Waits for the work without holding a thread (for async code), then returns its value or throws its error.
    public func value() async throws(Failure) -> Value {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            group.notify(queue: .global()) { done.resume() }
        }
        return try result!.get()
    }
}

/// A value handed to the threads of one `concurrentPerform`, which the type system cannot see is safe: each thread
/// reads it, or writes only the elements that are its own (its index, its column, its set of builders), and the
/// value is used again only after every thread is done. The one place that promise is made, instead of an unchecked
/// copy at each loop.
package struct ThreadShared<Value>: @unchecked Sendable {
    /// The value.
    package let value: Value

    /// Shares `value`.
    package init(_ value: Value) {
        self.value = value
    }
}

extension ThreadShared {
    /// Element `index` of a shared buffer, which one thread alone writes.
    package subscript<Element>(index: Int) -> Element where Value == UnsafeMutableBufferPointer<Element> {
        get { value[index] }
        nonmutating set { value[index] = newValue }
    }
}

/// Runs `body` for each index on every core and returns the results in index order.
package func concurrentMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    withoutActuallyEscaping(body) { body in
        let work = ThreadShared(body)
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = ThreadShared(buffer)
            DispatchQueue.concurrentPerform(iterations: count) { index in
                (out.value.baseAddress! + index).initialize(to: work.value(index))
            }
            initialized = count
        }
    }
}
