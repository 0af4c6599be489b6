$SLIMC -fsyntax-only -Wis-training -Wall -Wno-bogus is_training.slim
