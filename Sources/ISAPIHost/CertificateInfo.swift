import CISAPI

/// HSE_REQ_GET_CERT_INFO_EX (1015): the client certificate into the caller's
/// CERT_CONTEXT_EX, as IIS fills it.
extension ExtensionSession {
    /// nil on success, else the Windows error: ERROR_INVALID_PARAMETER for a NULL
    /// CERT_CONTEXT_EX (or a NULL pbCertEncoded that claims room), ERROR_NO_DATA without
    /// a client certificate (plain HTTP included), ERROR_INSUFFICIENT_BUFFER with
    /// `cbCertEncoded` = the size needed when `cbAllocated` is too small (nothing copied).
    func certificateInfo(_ buffer: UnsafeMutableRawPointer?) -> DWORD? {
        guard let buffer else { return DWORD(ERROR_INVALID_PARAMETER) }
        let info = buffer.assumingMemoryBound(to: CERT_CONTEXT_EX.self)
        guard let certificate = request.clientCertificate, !certificate.derEncoded.isEmpty else {
            return DWORD(ERROR_NO_DATA)
        }
        let der = certificate.derEncoded
        let allocated = Int(info.pointee.cbAllocated)
        let target = info.pointee.CertContext.pbCertEncoded
        guard target != nil || allocated == 0 else { return DWORD(ERROR_INVALID_PARAMETER) }
        info.pointee.CertContext.dwCertEncodingType = DWORD(X509_ASN_ENCODING | PKCS_7_ASN_ENCODING)
        info.pointee.CertContext.cbCertEncoded = DWORD(clamping: der.count)
        info.pointee.CertContext.pCertInfo = nil
        info.pointee.CertContext.hCertStore = nil
        info.pointee.dwCertificateFlags = certificate.flags
        guard let target, der.count <= allocated else { return DWORD(ERROR_INSUFFICIENT_BUFFER) }
        der.withUnsafeBufferPointer { target.update(from: $0.baseAddress!, count: der.count) }
        return nil
    }
}
