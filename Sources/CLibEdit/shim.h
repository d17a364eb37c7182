// BSD libedit (Debian's libedit-dev) through its readline-compatible interface: line editing,
// history across sessions, arrow keys and Ctrl-R incremental search for `etiquette repl`.
// libedit rather than GNU readline so the binary carries no GPL obligation.
#ifndef ETIQUETTE_CLIBEDIT_SHIM_H
#define ETIQUETTE_CLIBEDIT_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#endif
