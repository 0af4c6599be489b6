$SLIMC -v -c tiny.slim -o $T/t.o
