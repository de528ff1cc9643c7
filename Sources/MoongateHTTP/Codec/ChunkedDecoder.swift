/// Decodes a chunked request body incrementally (RFC 9112 7.1), refusing what nginx
/// refuses (`client sent invalid chunked body`).
public struct ChunkedDecoder {
    enum State {
        case size
        case sizeExtension
        case sizeLF
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailer(lineLength: Int)
        case trailerLF(lineLength: Int)
        case done
    }

    private var state = State.size
    /// Sizes of the chunks announced since the last `takeChunkSizes()`.
    private var announced: [Int] = []

    /// The chunk sizes read since the last call (for nginx's too-large message).
    public mutating func takeChunkSizes() -> [Int] {
        defer { announced = [] }
        return announced
    }
    private var size = 0
    private var sizeDigits = 0
    /// Whether the last chunk and trailers were read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    public init() {}

    /// Consumes bytes, appending decoded data to `out`; returns the number of bytes consumed
    /// (fewer than given once the body is complete). Throws on malformed input.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) throws -> Int {
        var i = 0
        let n = bytes.count
        while i < n {
            switch state {
            case .done:
                return i
            case .size:
                let c = bytes[i]
                if let d = hexValue(c) {
                    // Checked before multiplying: 16 hex digits would overflow (a remote crash).
                    if size > (Int.max - 15) / 16 { throw ChunkedError() }
                    size = size * 16 + d
                    sizeDigits += 1
                } else if c == 13 {
                    guard sizeDigits > 0 else { throw ChunkedError() }
                    state = .sizeLF
                } else if c == 10 {
                    guard sizeDigits > 0 else { throw ChunkedError() }
                    try endSize()
                } else if c == UInt8(ascii: ";") || c == 32 || c == 9 {
                    guard sizeDigits > 0 else { throw ChunkedError() }
                    state = .sizeExtension
                } else {
                    throw ChunkedError()
                }
                i += 1
            case .sizeExtension:
                let c = bytes[i]
                if c == 13 {
                    state = .sizeLF
                } else if c == 10 {
                    try endSize()
                }
                i += 1
            case .sizeLF:
                guard bytes[i] == 10 else { throw ChunkedError() }
                i += 1
                try endSize()
            case .data(let remaining):
                let take = min(remaining, n - i)
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                i += take
                state = remaining - take == 0 ? .dataCR : .data(remaining: remaining - take)
            case .dataCR:
                if bytes[i] == 13 {
                    state = .dataLF
                } else if bytes[i] == 10 {
                    state = .size
                } else {
                    throw ChunkedError()
                }
                i += 1
            case .dataLF:
                guard bytes[i] == 10 else { throw ChunkedError() }
                state = .size
                i += 1
            case .trailer(let len):
                let c = bytes[i]
                if c == 13 {
                    state = .trailerLF(lineLength: len)
                } else if c == 10 {
                    state = len == 0 ? .done : .trailer(lineLength: 0)
                } else {
                    state = .trailer(lineLength: len + 1)
                    if len > 8192 { throw ChunkedError() }
                }
                i += 1
            case .trailerLF(let len):
                guard bytes[i] == 10 else { throw ChunkedError() }
                state = len == 0 ? .done : .trailer(lineLength: 0)
                i += 1
            }
        }
        return i
    }

    private mutating func endSize() throws {
        if size > 0 { announced.append(size) }
        if size == 0 {
            state = .trailer(lineLength: 0)
        } else {
            state = .data(remaining: size)
        }
        size = 0
        sizeDigits = 0
    }

    private func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 97...102: return Int(c - 87)
        case 65...70: return Int(c - 55)
        default: return nil
        }
    }
}

/// A malformed chunked body.
public struct ChunkedError: Error {}
