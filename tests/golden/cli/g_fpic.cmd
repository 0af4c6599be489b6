$SLIMC -g -fPIC -c tiny.slim -o $T/t.o && ls $T
