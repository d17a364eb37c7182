// PCRE2 is compiled for several code unit widths; Etiquette matches UTF-8 text only, so the
// 8-bit functions (pcre2_compile_8, pcre2_match_8, ...) are the ones Swift imports.
#ifndef ETIQUETTE_CPCRE2_SHIM_H
#define ETIQUETTE_CPCRE2_SHIM_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
