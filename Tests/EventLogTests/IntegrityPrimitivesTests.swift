import Testing
@testable import EventLog

@Suite struct IntegrityPrimitivesTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func crc32cCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func crc32cContinues() {
        let whole = Array("hello, bubble timer".utf8)
        let a = whole.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[..<7])) }
        let ab = whole.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[7...]), continuing: a) }
        #expect(ab == CRC32C.checksum(whole))
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (String(repeating: "a", count: 1000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
    ])
    func sha256Vectors(input: String, digest: String) {
        let bytes = Array(input.utf8)
        #expect(hex(bytes.withUnsafeBytes { SHA256.hash($0) }) == digest)
        // Split across update calls at an awkward boundary.
        var hasher = SHA256()
        let cut = min(bytes.count, 61)
        hasher.update(Array(bytes[..<cut]))
        hasher.update(Array(bytes[cut...]))
        #expect(hex(hasher.finalize()) == digest)
    }
}

import Foundation
