# tests/fuzz: libFuzzer targets and the corpus replay (see tests/fuzz)
