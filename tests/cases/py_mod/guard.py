ran_main = False
if __name__ == "__main__":
    ran_main = True
NAME = __name__
