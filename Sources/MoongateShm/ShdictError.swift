import CMoongate

/// Errors of shared-dict operations; raw values are the `MG_SHM_ERR_*` codes of `mg_shm.h`.
/// `message` is the string ngx_lua returns for the same condition.
public enum ShdictError: Int32, Error, Sendable, CustomStringConvertible {
    case notFound = -1
    case exists = -2
    case noMemory = -3
    case notANumber = -4
    case notAList = -5
    case isAList = -6
    case emptyKey = -7
    case keyTooLong = -8
    case nilValue = -9
    case badValue = -10
    case badExptime = -11
    case bufferTooSmall = -12
    case lockUnrecoverable = -13
    case io = -14
    case badDumpFile = -15
    /// Zone size below `ShdictZone.minimumSize`.
    case badSize = -100
    /// mmap failed.
    case mapFailed = -101

    /// Maps a C return code (negative) to an error; nil for success or unknown codes.
    @inlinable
    public init?(code: Int32) {
        self.init(rawValue: code)
    }

    /// ngx_lua's wording ("not found", "exists", "no memory", ...).
    public var message: String {
        switch self {
        case .badSize: return "bad zone size"
        case .mapFailed: return "cannot map shared memory"
        default: return String(cString: mg_shm_strerror(rawValue))
        }
    }

    public var description: String { message }
}
