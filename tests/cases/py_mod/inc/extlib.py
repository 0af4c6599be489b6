EXT = "from the -I directory"
