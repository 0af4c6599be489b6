X = 1
Y = X // 0
Z = 3
