#ifndef ISAPID_TLS_CIPHER_CHECK_H
#define ISAPID_TLS_CIPHER_CHECK_H

/// Whether BoringSSL (the copy swift-nio-ssl links in) accepts an OpenSSL cipher string
/// for TLS 1.2 (1 yes, 0 no). swift-nio-ssl traps on a cipher string BoringSSL refuses,
/// so isapid asks BoringSSL itself first, through this one call.
int isapid_tls_cipher_list_is_valid(const char *cipher_list);

#endif
