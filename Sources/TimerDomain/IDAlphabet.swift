/// The characters timer and device ids may hold: RFC 3986's unreserved set and `:`, all
/// safe in a URL path segment as they stand.
public enum IDAlphabet {
    /// The same rule as a regular expression (docs/openapi.yaml uses it).
    public static let pattern = "^[A-Za-z0-9._~:-]+$"
    /// Timer ids no client may create.
    public static let reservedTimerIDs: Set<String> = ["shared"]

    static func contains(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: ":"): true
        default: false
        }
    }
}
