# tests/faults: fault-injection runs (see tests/integration/test-faults-*.sh)
