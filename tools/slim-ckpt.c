/* PLACEHOLDER: replaced by the checkpoint work. */
#include <stdio.h>
int main(void) { return 2; }
