$SLIMC -c tiny.slim --api-prefix=tiny_v2 -o $T/t.o && cat $T/t.h
