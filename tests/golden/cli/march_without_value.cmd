$SLIMC -march tiny.slim
