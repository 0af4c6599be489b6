/* slimrt_errorf: the runtime's single way of reporting a failure. Library code
 * never prints or exits; it fills the caller's buffer and returns -1 so that
 * `return slimrt_errorf(...)` reads naturally at every failure site. */
#include <stdarg.h>
#include <stdio.h>
#include "slimrt.h"

int slimrt_errorf(char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}
