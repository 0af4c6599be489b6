$SLIMC -c tiny.slim --api-prefix=2fast -o $T/t.o; s=$?; ls $T; exit $s
