/* PLACEHOLDER driver: replaced by the real one. */
#include <stdio.h>
int main(void) { puts("slimc " SLIMC_VERSION); return 0; }
