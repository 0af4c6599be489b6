$SLIMC -march=native -mtune=generic -c tiny.slim -o $T/t.o && ls $T
