$SLIMCKPT init tiny.slim -o $T/ck/model.ckpt && $SLIMC -c --checkpoint=$T/ck ckpt_scope_renamed.slim -o $T/t.o
