$SLIMC -c tiny.slim --api-prefix=_Tiny -o $T/t.o; s=$?; ls $T; exit $s
