$SLIMC -c tiny.slim --api-prefix= -o $T/t.o; s=$?; ls $T; exit $s
