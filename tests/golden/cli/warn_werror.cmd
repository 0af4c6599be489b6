$SLIMC -Werror -c is_training.slim -o $T/bn.o 2> /dev/null; echo "slimc exit $?"; ls $T
