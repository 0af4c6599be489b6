$SLIMC -c keyword_model.slim -o $T/k.o; s=$?; ls $T; $SLIMC -c keyword_model.slim --api-prefix=doubler -o $T/k.o && ls $T
