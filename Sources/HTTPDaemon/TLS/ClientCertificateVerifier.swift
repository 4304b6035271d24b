import Foundation
import NIOCore
import NIOSSL
import X509

/// mod_ssl's verification of a client certificate (`SSLVerifyClient optional|require`):
/// the chain the client presents is built up to one of `SSLCACertificateFile`'s
/// certificates and checked under RFC 5280 (validity, signatures, CA constraints), and the
/// certificate may be no deeper than `SSLVerifyDepth` (mod_ssl's count: the client's
/// certificate is at depth 0, its issuer at 1, …; Apache's default is 1: a certificate
/// signed directly by a configured CA).
///
/// Why not BoringSSL's own verification: swift-nio-ssl lets it run only with BoringSSL's
/// fixed depth of 100 (no `SSL_CTX_set_verify_depth`), and a custom verification callback
/// replaces the whole of it; so it is done here completely, with swift-certificates.
struct ClientCertificateVerifier: Sendable {
    let trustedCAs: [Certificate]
    let maximumDepth: Int

    init(trustedCAs: [NIOSSLCertificate], maximumDepth: Int) throws {
        self.trustedCAs = try trustedCAs.map { try Certificate(derEncoded: $0.toDERBytes()) }
        self.maximumDepth = maximumDepth
    }

    /// NIOSSL's custom verification callback: `presented` is the client's chain, its
    /// certificate first.
    func verify(_ presented: [NIOSSLCertificate], promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let chain: [Certificate]
        do {
            chain = try presented.map { try Certificate(derEncoded: $0.toDERBytes()) }
        } catch {
            promise.succeed(.failed)
            return
        }
        guard let leaf = chain.first else {
            promise.succeed(.failed)
            return
        }
        let roots = trustedCAs
        let maximumDepth = maximumDepth
        promise.completeWithTask {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
                RFC5280Policy(validationTime: Date())
            }
            let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(chain.dropFirst()))
            guard case .validCertificate(let validated) = result else { return .failed }
            return Self.isWithinDepth(chainLength: validated.count, maximumDepth: maximumDepth)
                ? .certificateVerified : .failed
        }
    }

    /// A verified chain of `chainLength` certificates (the client's to the trusted CA)
    /// puts the CA at depth `chainLength - 1`; mod_ssl refuses it above SSLVerifyDepth.
    static func isWithinDepth(chainLength: Int, maximumDepth: Int) -> Bool {
        chainLength - 1 <= maximumDepth
    }
}
