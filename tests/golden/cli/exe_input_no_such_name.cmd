$TINY --random-init --input=z=one.npy
