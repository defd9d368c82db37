// The library's version, as built: a program compiled against one version's
// headers can ask which library it runs with.
#include "wengert/version.hpp"

namespace wengert {

const char* version() { return WENGERT_VERSION; }

}  // namespace wengert
