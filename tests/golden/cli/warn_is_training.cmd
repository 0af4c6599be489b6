$SLIMC -fsyntax-only is_training.slim
