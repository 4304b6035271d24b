#include "tls_cipher_check.h"

// BoringSSL as swift-nio-ssl builds it, with its CNIOBoringSSL_ symbol prefix. Its
// headers are not a product of swift-nio-ssl; these four functions are declared here.
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_method_st SSL_METHOD;
extern const SSL_METHOD *CNIOBoringSSL_TLS_method(void);
extern SSL_CTX *CNIOBoringSSL_SSL_CTX_new(const SSL_METHOD *method);
extern int CNIOBoringSSL_SSL_CTX_set_cipher_list(SSL_CTX *ctx, const char *str);
extern void CNIOBoringSSL_SSL_CTX_free(SSL_CTX *ctx);
extern void CNIOBoringSSL_ERR_clear_error(void);

int isapid_tls_cipher_list_is_valid(const char *cipher_list) {
    SSL_CTX *ctx = CNIOBoringSSL_SSL_CTX_new(CNIOBoringSSL_TLS_method());
    if (ctx == 0) return 0;
    int valid = CNIOBoringSSL_SSL_CTX_set_cipher_list(ctx, cipher_list) == 1;
    CNIOBoringSSL_SSL_CTX_free(ctx);
    CNIOBoringSSL_ERR_clear_error();
    return valid;
}
