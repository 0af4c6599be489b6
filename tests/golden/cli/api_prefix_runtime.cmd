$SLIMC -c tiny.slim --api-prefix=slimrt_model -o $T/t.o; s=$?; ls $T; exit $s
