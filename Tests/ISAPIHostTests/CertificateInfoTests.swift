import CISAPI
import Foundation
import Testing
@testable import ISAPIHost

/// HSE_REQ_GET_CERT_INFO_EX (1015) through the real ServerSupportFunction callback.
@Suite struct CertificateInfoTests {
    typealias ECB = UnsafeMutablePointer<EXTENSION_CONTROL_BLOCK>

    static let der: [UInt8] = [0x30, 0x82, 0x01, 0x0A, 0x02, 0x01, 0x05]

    static func request(certificate: ISAPIClientCertificate?) -> ISAPIRequest {
        var request = ISAPIRequest.make()
        request.clientCertificate = certificate
        return request
    }

    /// Calls GET_CERT_INFO_EX with a buffer of `allocated` bytes (nil: a NULL pbCertEncoded).
    static func call(_ ecb: ECB, allocated: Int?) -> (ok: BOOL, error: DWORD, info: CERT_CONTEXT_EX, bytes: [UInt8]) {
        var info = CERT_CONTEXT_EX()
        var storage = [UInt8](repeating: 0xEE, count: allocated ?? 0)
        let ok = storage.withUnsafeMutableBufferPointer { buffer -> BOOL in
            info.CertContext.pbCertEncoded = allocated == nil ? nil : buffer.baseAddress
            info.cbAllocated = DWORD(allocated ?? 0)
            return ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, DWORD(HSE_REQ_GET_CERT_INFO_EX), &info, nil, nil)
        }
        let error = GetLastError()
        info.CertContext.pbCertEncoded = nil
        return (ok, error, info, storage)
    }

    @Test func fillsTheCallersStructure() {
        let certificate = ISAPIClientCertificate(derEncoded: Self.der, flags: 3)
        _ = ExtensionSessionTests.run(Self.request(certificate: certificate)) { ecb in
            let result = Self.call(ecb, allocated: 64)
            #expect(result.ok == 1)
            #expect(result.info.CertContext.cbCertEncoded == DWORD(Self.der.count))
            #expect(Array(result.bytes.prefix(Self.der.count)) == Self.der)
            #expect(result.bytes[Self.der.count] == 0xEE, "nothing written past the certificate")
            #expect(result.info.CertContext.dwCertEncodingType == DWORD(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING))
            #expect(result.info.CertContext.dwCertEncodingType == 0x0001_0001)
            #expect(result.info.dwCertificateFlags == 3)
            #expect(result.info.CertContext.pCertInfo == nil)
            #expect(result.info.CertContext.hCertStore == nil)
            // Exactly the size fits.
            #expect(Self.call(ecb, allocated: Self.der.count).ok == 1)
            return DWORD(HSE_STATUS_SUCCESS)
        }
    }

    @Test func tooSmallABufferGetsTheSizeNeeded() {
        _ = ExtensionSessionTests.run(Self.request(certificate: ISAPIClientCertificate(derEncoded: Self.der, flags: 1))) { ecb in
            let small = Self.call(ecb, allocated: 3)
            #expect(small.ok == 0)
            #expect(small.error == DWORD(ERROR_INSUFFICIENT_BUFFER))
            #expect(small.info.CertContext.cbCertEncoded == DWORD(Self.der.count))
            #expect(small.bytes == [0xEE, 0xEE, 0xEE], "nothing copied when it does not fit")
            #expect(small.info.dwCertificateFlags == 1)
            // The usual size query: no buffer at all.
            let query = Self.call(ecb, allocated: nil)
            #expect(query.ok == 0 && query.error == DWORD(ERROR_INSUFFICIENT_BUFFER))
            #expect(query.info.CertContext.cbCertEncoded == DWORD(Self.der.count))
            return DWORD(HSE_STATUS_SUCCESS)
        }
    }

    @Test func noCertificateIsNoData() {
        _ = ExtensionSessionTests.run(Self.request(certificate: nil)) { ecb in
            let result = Self.call(ecb, allocated: 64)
            #expect(result.ok == 0)
            #expect(result.error == DWORD(ERROR_NO_DATA))
            #expect(result.bytes.allSatisfy { $0 == 0xEE })
            return DWORD(HSE_STATUS_SUCCESS)
        }
    }

    @Test func nullPointersAreInvalidParameters() {
        _ = ExtensionSessionTests.run(Self.request(certificate: ISAPIClientCertificate(derEncoded: Self.der, flags: 1))) { ecb in
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, DWORD(HSE_REQ_GET_CERT_INFO_EX), nil, nil, nil) == 0)
            #expect(GetLastError() == DWORD(ERROR_INVALID_PARAMETER))
            // A NULL pbCertEncoded that claims room.
            var info = CERT_CONTEXT_EX()
            info.cbAllocated = 100
            #expect(ecb.pointee.ServerSupportFunction!(ecb.pointee.ConnID, DWORD(HSE_REQ_GET_CERT_INFO_EX), &info, nil, nil) == 0)
            #expect(GetLastError() == DWORD(ERROR_INVALID_PARAMETER))
            return DWORD(HSE_STATUS_SUCCESS)
        }
    }
}
