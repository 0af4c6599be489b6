$SLIMC -v tiny.slim -o $T/tiny 2>&1 | sed -E "s/^ [^ ]* / CC /; s/ -fsanitize=[^ ]*//; s/\.slimtmp-[A-Za-z0-9]+/.slimtmp-XXXX/g"
