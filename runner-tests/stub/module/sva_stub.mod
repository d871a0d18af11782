./sva_stub.o
