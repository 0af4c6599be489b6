print("counter runs once")
hits = []
