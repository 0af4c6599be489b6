$SLIMC -c tiny.slim --api-prefix=my-model -o $T/t.o; s=$?; ls $T; exit $s
