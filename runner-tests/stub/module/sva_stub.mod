/work/main/runner-tests/stub/module/sva_stub.o
