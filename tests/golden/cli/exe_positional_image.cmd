$TINY --random-init photo.png
