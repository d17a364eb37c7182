// Hyperscan (Debian's libhyperscan-dev), used only by the benchmark to compare against.
#include <hs/hs.h>
