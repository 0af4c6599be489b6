$SLIMC -march=native --print-signature tiny.slim
