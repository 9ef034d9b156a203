# bench: make bench (see bench/)
