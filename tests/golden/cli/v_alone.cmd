$SLIMC -v
