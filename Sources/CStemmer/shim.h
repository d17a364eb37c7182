// Snowball stemmers from Debian's libstemmer-dev (word forms, issue 19). The package ships no
// pkg-config file, so the module map links `stemmer` by name.
#ifndef ETIQUETTE_CSTEMMER_SHIM_H
#define ETIQUETTE_CSTEMMER_SHIM_H
#include <libstemmer.h>
#endif
