internal import Crypto
public import TimerDomain

/// The digest sign-in codes and refresh tokens are kept under in the log: SHA-256. Codes are
/// salted (six digits alone would fall to a table); refresh-token secrets are 256 random bits
/// and need no salt.
public enum SessionDigest {
    public static let sha256 = Digest { Array(SHA256.hash(data: $0)) }
}
