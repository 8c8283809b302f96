public import LMDB
public import TimerDomain
internal import Crypto

/// Each user's data key, in the `user_keys` table next to the log: the one state the log
/// cannot rebuild. Personal fields are sealed under it; deleting it (`DELETE /me`) makes
/// every sealed copy in the log, the views and any later copy of them unreadable, without
/// rewriting a record or breaking the hash chain. Replay leaves the table alone; copies of
/// the environment (`bubble-replay --into`, backups) carry it.
public struct UserKeys: Sendable {
    /// `nil` only for a read-only look at a directory no server of this build has opened.
    let table: Database?

    public init(environment: Environment) throws {
        do { table = try environment.openDatabase("user_keys") } catch let error as LMDBError where error.kind == .notFound {
            table = nil
        }
    }

    /// The user's key, `nil` when they have none (never registered, or erased).
    public func key(of user: UserID, _ txn: ReadTransaction) throws -> PersonalKey? {
        guard let table else { return nil }
        return try txn.get(table, key: Array(user.utf8)) { PersonalKey(Array($0)) } ?? nil
    }

    /// The user's key, made on first use in the command's own transaction.
    func keyOrCreate(_ user: UserID, _ txn: WriteTransaction) throws -> PersonalKey {
        if let key = try key(of: user, txn) { return key }
        let key = PersonalKey.random()
        try txn.put(table!, key: Array(user.utf8), value: key.bytes)
        return key
    }

    /// A key made elsewhere (a cluster node) for `user`; one already here is kept (it is the
    /// same key: a node makes one only for a user who has none in the shared log).
    func adopt(_ user: UserID, _ bytes: [UInt8], _ txn: WriteTransaction) throws {
        guard let table, PersonalKey(bytes) != nil, try key(of: user, txn) == nil else { return }
        try txn.put(table, key: Array(user.utf8), value: bytes)
    }

    /// Every user's key, for moving a log into a cluster.
    public func all(_ txn: ReadTransaction) throws -> [UserID: [UInt8]] {
        var out: [UserID: [UInt8]] = [:]
        guard let table else { return out }
        try txn.scan(table) { k, v in
            out[String(decoding: k, as: UTF8.self)] = Array(v)
            return true
        }
        return out
    }

    func delete(_ user: UserID, _ txn: WriteTransaction) throws {
        if let table { _ = try txn.delete(table, key: Array(user.utf8)) }
    }

    /// Copies every key into another environment's table (time travel, salvage).
    func copy(_ from: ReadTransaction, into target: UserKeys, _ to: WriteTransaction) throws {
        guard let table, let into = target.table else { return }
        try from.scan(table) { k, v in
            try to.put(into, key: Array(k), value: Array(v))
            return true
        }
    }

    /// How many users have a key (tools).
    public func count(_ txn: ReadTransaction) throws -> Int { try table.map { try txn.statistics($0).entries } ?? 0 }
}

/// A user's 256-bit data key. Sealing is AES-256-GCM with a nonce derived from the text
/// (HMAC under a second key derived from the same one): the same text seals to the same
/// bytes, so the pure decider can tell a change from a repeat; different texts get
/// different nonces.
public struct PersonalKey: Sendable {
    let bytes: [UInt8]

    init?(_ bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    static func random() -> PersonalKey {
        PersonalKey(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })!
    }

    private var subkeys: (seal: SymmetricKey, nonce: SymmetricKey) {
        let master = SymmetricKey(data: bytes)
        func derive(_ info: String) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(inputKeyMaterial: master, info: Array(info.utf8), outputByteCount: 32)
        }
        return (derive("bubble-timer seal v1"), derive("bubble-timer nonce v1"))
    }

    /// Format 1: `0x01 ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
    public func seal(_ text: String) -> Sealed { seal(Array(text.utf8)) }

    public func seal(_ plain: [UInt8]) -> Sealed {
        let keys = subkeys
        let mac = HMAC<SHA256>.authenticationCode(for: plain, using: keys.nonce)
        let nonce = try! AES.GCM.Nonce(data: Array(mac).prefix(12))
        let box = try! AES.GCM.seal(plain, using: keys.seal, nonce: nonce)
        return Sealed([1] + Array(box.combined!))
    }

    /// The text, or `nil` when the bytes were sealed under another key (an erased user's
    /// old key) or are damaged.
    public func open(_ sealed: Sealed) -> String? {
        openBytes(sealed).map { String(decoding: $0, as: UTF8.self) }
    }

    public func openBytes(_ sealed: Sealed) -> [UInt8]? {
        guard sealed.bytes.first == 1, sealed.bytes.count >= 29,
              let box = try? AES.GCM.SealedBox(combined: sealed.bytes.dropFirst()),
              let plain = try? AES.GCM.open(box, using: subkeys.seal) else { return nil }
        return Array(plain)
    }

    public var sealer: Sealer { Sealer { [self] in self.seal($0) } }
}
