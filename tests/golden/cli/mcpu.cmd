$SLIMC -mcpu=x86-64-v3 -c tiny.slim -o $T/t.o && ls $T
