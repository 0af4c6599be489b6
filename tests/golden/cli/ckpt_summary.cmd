$SLIMCKPT init tiny.slim -o $T/ck/model.ckpt && $SLIMC -c --checkpoint=$T/ck ckpt_many_missing.slim -o $T/t.o > $T/log 2>&1; echo "slimc exit $?"; grep -c "error:" $T/log; tail -2 $T/log
