/// Personal data (an email, a display name, a message's text) as the log and views hold it:
/// sealed under its owner's key at the edge. The domain compares and carries it, never reads
/// it; erasing the owner's key makes every copy unreadable (crypto-shredding).
public struct Sealed: Hashable, Sendable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
}

/// Seals text under the acting user's key. Deterministic (the same text gives the same bytes
/// under one key), so a decider can tell a change from a repeat without reading either.
public struct Sealer: Sendable {
    private let body: @Sendable ([UInt8]) -> Sealed
    public init(_ body: @escaping @Sendable ([UInt8]) -> Sealed) { self.body = body }
    public func seal(_ text: String) -> Sealed { body(Array(text.utf8)) }
    public func seal(_ bytes: [UInt8]) -> Sealed { body(bytes) }
}

/// The image formats an avatar may be, told by their first bytes (never by what a client says).
public enum ImageType: UInt8, Sendable, CaseIterable {
    case png = 1, jpeg, gif, webp

    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .gif: "image/gif"
        case .webp: "image/webp"
        }
    }

    public static func sniff(_ bytes: [UInt8]) -> ImageType? {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && Array(bytes[offset..<(offset + magic.count)]) == magic
        }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts(Array("RIFF".utf8)), starts(Array("WEBP".utf8), at: 8) { return .webp }
        return nil
    }
}

/// A user's picture: its format, and the image sealed under their key.
public struct Avatar: Equatable, Sendable {
    public var type: ImageType
    public var image: Sealed

    public init(type: ImageType, image: Sealed) {
        self.type = type
        self.image = image
    }
}

/// A registered user's directory entry, folded from their stream.
public struct Profile: Equatable, Sendable {
    public var email: Sealed?
    public var displayName: Sealed?
    /// The client's own preferences (`PATCH /me {"settings"}`), merged key by key.
    public var settings: [String: String]

    public init(email: Sealed? = nil, displayName: Sealed? = nil, settings: [String: String] = [:]) {
        self.email = email
        self.displayName = displayName
        self.settings = settings
    }
}

/// What `PATCH /me` may change: fields left `nil` stay; a display name of `.some(nil)` clears
/// it; a setting mapped to `nil` is removed.
public struct ProfilePatch: Equatable, Sendable {
    public var displayName: String??
    public var settings: [String: String?]

    public init(displayName: String?? = nil, settings: [String: String?] = [:]) {
        self.displayName = displayName
        self.settings = settings
    }
}

/// Where a device's pushes go.
public enum PushProvider: UInt8, Sendable, CaseIterable {
    case fcm = 0, expo, webhook

    public var name: String {
        switch self {
        case .fcm: "fcm"
        case .expo: "expo"
        case .webhook: "webhook"
        }
    }

    public init?(name: String) {
        guard let found = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = found
    }
}

/// A device's push registration.
public struct PushTarget: Equatable, Sendable {
    public var provider: PushProvider
    public var token: String
    /// Registered by the deployed Android app (`POST /device-tokens`): its socket carries
    /// timer frames only, so everything else reaches it by push, connected or not.
    public var app: Bool

    public init(provider: PushProvider, token: String, app: Bool) {
        self.provider = provider
        self.token = token
        self.app = app
    }
}
