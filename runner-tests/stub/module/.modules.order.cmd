savedcmd_/work/main/runner-tests/stub/module/modules.order := {   echo /work/main/runner-tests/stub/module/sva_stub.o; :; } > /work/main/runner-tests/stub/module/modules.order
