$SLIMC -c tiny.slim --api-prefix=int -o $T/t.o; s=$?; ls $T; exit $s
