def inner_value():
    return 10
