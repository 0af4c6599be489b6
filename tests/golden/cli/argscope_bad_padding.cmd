$SLIMC -fsyntax-only argscope_padding.slim
