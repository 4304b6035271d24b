#ifndef ISAPID_CPCRE2_SHIM_H
#define ISAPID_CPCRE2_SHIM_H
// Only the 8-bit library: every pattern and subject in isapid is UTF-8 bytes.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
