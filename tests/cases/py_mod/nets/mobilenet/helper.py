HELP = "help"
def h():
    return 100
if __name__ == "__main__":
    raise ValueError("never run when imported")
