$SLIMC -fsyntax-only -Wno-is-training is_training.slim
