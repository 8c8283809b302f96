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

    @Test func chainLinksAreSHA256OfThePreviousLinkAndTheBody() {
        // Reference digests from Python's hashlib: sha256(b"\0" * 32 + b"abc"), then chained with "def".
        let first = Array("abc".utf8).withUnsafeBytes { ChainHash.genesis.next(body: $0) }
        #expect(first.description == "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370")
        let second = Array("def".utf8).withUnsafeBytes { first.next(body: $0) }
        #expect(second.description == "532f0131db1635cb105c9753e41e7908599aa4dd144658c92e50b60113ad993a")
        #expect(second.bytes.withUnsafeBytes { ChainHash($0) } == second)
    }
}

import Foundation
