#include "config.h"
#include <stdio.h>
int main(void) { puts("tagd"); return 0; }
