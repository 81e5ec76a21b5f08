/// A growable buffer of plain values with no uniqueness or bounds checks on append.
///
/// Hand-written because `Array.append` checks uniqueness and capacity on every call, which showed
/// as a tenth of the CSV parse profile; the parser owns each buffer alone, so the checks buy nothing.
struct RawBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 16) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutablePointer<Element>.allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    mutating func append(_ value: Element) {
        if count == capacity { grow(to: capacity * 2) }
        base[count] = value
        count += 1
    }

    mutating func append(repeating value: Element, count extra: Int) {
        if count + extra > capacity { grow(to: max(capacity * 2, count + extra)) }
        (base + count).initialize(repeating: value, count: extra)
        count += extra
    }

    mutating func append(contentsOf other: borrowing RawBuffer<Element>) {
        if count + other.count > capacity { grow(to: max(capacity * 2, count + other.count)) }
        (base + count).update(from: other.base, count: other.count)
        count += other.count
    }

    /// Counts `extra` values written past the end (into reserved room) as appended.
    @inline(__always)
    mutating func commit(_ extra: Int) {
        count += extra
    }

    /// Makes room for `total` values, at least doubling the capacity when it grows.
    @inline(__always)
    mutating func reserve(_ total: Int) {
        if total > capacity { grow(to: max(capacity * 2, total)) }
    }

    private mutating func grow(to newCapacity: Int) {
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Removes the values from `newCount` on.
    mutating func truncate(to newCount: Int) {
        count = min(count, newCount)
    }

    var array: [Element] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    subscript(index: Int) -> Element {
        @inline(__always) get { base[index] }
    }
}
