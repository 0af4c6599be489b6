$SLIMC -mfoo=bar tiny.slim
